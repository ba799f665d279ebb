// The People screen: faces grouped into people (`likeness people cluster`), each with a face crop,
// its count and name. Privacy officers and admins rename, merge two people and split a face off;
// investigators read. Every read states a purpose, basis and case and, like every edit, is recorded
// in the audit chain by the server.
import { ART6, fillSelect } from './legal.js';

const $ = (id) => document.getElementById(id);

export function initPeople(ctx) {
  let urls = [];
  let people = [];
  fillSelect($('people-basis'), ART6, 'art6-1-e');

  // Reads of people state why (purpose, basis, case; audited by the server): the query string, or
  // null while the form is incomplete (`report` shows the form's own messages).
  function why(report) {
    const form = $('people-why');
    if (report ? !form.reportValidity() : !form.checkValidity()) return null;
    return `?${new URLSearchParams(new FormData(form)).toString()}`;
  }

  function canEdit() {
    return ['admin', 'privacy'].includes(ctx.role());
  }

  function crop(url, alt) {
    const img = document.createElement('img');
    img.alt = alt;
    img.width = 96;
    img.height = 96;
    if (url) {
      ctx.api().imageUrl(url).then((u) => { urls.push(u); img.src = u; })
        .catch((e) => { img.alt = `Crop unavailable: ${e.message}`; });
    }
    return img;
  }

  async function edit(path, body, done) {
    try {
      await ctx.api().post(path, body);
      ctx.setStatus(done);
      await load();
    } catch (err) {
      ctx.setStatus(`${err.message}`, 'error');
    }
  }

  async function showPerson(id) {
    try {
      const q = why(true);
      if (!q) return;
      const p = await ctx.api().get(`/api/v1/people/${id}${q}`);
      $('person-title').textContent = `Person ${p.id}${p.name ? ` — ${p.name}` : ''}`;
      const list = $('person-faces');
      list.replaceChildren(...p.face_list.map((f) => {
        const li = document.createElement('li');
        li.append(crop(f.crop_url, `Face ${f.face_id} from ${f.source}`));
        const cap = document.createElement('span');
        cap.textContent = `face ${f.face_id} · ${f.source} · quality ${f.quality.toFixed(2)}`;
        li.append(cap);
        if (canEdit() && p.face_list.length > 1) {
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'secondary';
          b.textContent = 'Split off';
          b.addEventListener('click', () => edit(`/api/v1/people/${p.id}/split`, { face_id: f.face_id },
            `Face ${f.face_id} is now a person of its own.`).then(() => showPerson(p.id)));
          li.append(b);
        }
        return li;
      }));
      $('person-detail').hidden = false;
    } catch (err) {
      ctx.setStatus(`Cannot load person ${id}: ${err.message}`, 'error');
    }
  }

  function row(p) {
    const tr = document.createElement('tr');
    const cell = (content) => {
      const td = document.createElement('td');
      if (content instanceof Node) td.append(content); else td.textContent = content;
      tr.append(td);
      return td;
    };
    cell(crop(p.cover_crop_url, `A face of person ${p.id}`));
    cell(String(p.id));
    cell(String(p.faces));
    if (canEdit()) {
      const form = document.createElement('form');
      const input = document.createElement('input');
      input.value = p.name;
      input.maxLength = 200;
      input.setAttribute('aria-label', `Name of person ${p.id}`);
      const b = document.createElement('button');
      b.type = 'submit';
      b.className = 'secondary';
      b.textContent = 'Rename';
      form.append(input, b);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        edit(`/api/v1/people/${p.id}/name`, { name: input.value.trim() }, `Person ${p.id} renamed.`);
      });
      cell(form);
    } else {
      cell(p.name || '(unnamed)');
    }
    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'link';
    show.textContent = 'Faces';
    show.addEventListener('click', () => showPerson(p.id));
    cell(show);
    return tr;
  }

  async function load(report = false) {
    const q = why(report);
    if (!q) {
      ctx.setStatus('State the purpose, legal basis and case to list people.');
      return;
    }
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
    try {
      const r = await ctx.api().get(`/api/v1/people${q}`);
      people = r.people;
      $('people-table').querySelector('tbody').replaceChildren(...people.map(row));
      $('people-empty').hidden = people.length > 0;
      $('people-merge').hidden = !canEdit() || people.length < 2;
    } catch (err) {
      ctx.setStatus(`Cannot load people: ${err.message}`, 'error');
    }
  }

  $('people-merge').addEventListener('submit', (e) => {
    e.preventDefault();
    const into = Number($('merge-into').value);
    const from = Number($('merge-from').value);
    edit(`/api/v1/people/${into}/merge`, { from }, `Person ${from} merged into ${into}.`);
  });
  $('people-why').addEventListener('submit', (e) => {
    e.preventDefault();
    load(true);
  });
  return () => load(false);
}
