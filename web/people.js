// The People screen: faces grouped into people, each with a face crop, its count and name.
// Privacy officers and admins cluster now (a background run with its progress), rename, merge the
// people they tick and split a face off; investigators only read (no edit control is shown to
// them). Every read states a purpose, basis and case and, like every edit, is recorded in the
// audit chain by the server.
import { showAt, clearAll } from './feedback.js';
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
  const picked = new Set();  // person ids ticked for a merge
  let polling = null;

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

  async function edit(path, body, done, anchor) {
    try {
      await ctx.api().post(path, body);
      await load();
      showAt(anchor && anchor.isConnected ? anchor : $('people-refresh'), done, 'ok');
      return true;
    } catch (err) {
      showAt(anchor && anchor.isConnected ? anchor : $('people-refresh'), err.message);
      return false;
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
            `Face ${f.face_id} is now a person of its own.`, b).then(() => showPerson(p.id)));
          li.append(b);
        }
        return li;
      }));
      $('person-detail').hidden = false;
      $('person-detail').scrollIntoView({ block: 'nearest' });
    } catch (err) {
      showAt($('people-refresh'), `Cannot load person ${id}: ${err.message}`);
    }
  }

  function renderMergeChoices() {
    const ticked = people.filter((p) => picked.has(p.id));
    const into = $('merge-into');
    const keep = into.value;
    into.replaceChildren(...ticked.map((p) => {
      const o = document.createElement('option');
      o.value = p.id;
      o.textContent = `Person ${p.id}${p.name ? ` — ${p.name}` : ''} (${p.faces} face${p.faces === 1 ? '' : 's'})`;
      o.selected = String(p.id) === keep;
      return o;
    }));
    $('merge-picked').textContent = ticked.length < 2
      ? `Ticked: ${ticked.length}. Tick at least two people in the list.`
      : `Ticked: ${ticked.map((p) => p.id).join(', ')}. The others are merged into the one kept.`;
    $('merge-submit').disabled = ticked.length < 2;
  }

  function row(p) {
    const tr = document.createElement('tr');
    const cell = (label, content) => {
      const td = document.createElement('td');
      if (content instanceof Node) td.append(content); else td.textContent = content;
      td.dataset.label = label;
      tr.append(td);
      return td;
    };
    if (canEdit()) {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = picked.has(p.id);
      box.setAttribute('aria-label', `Pick person ${p.id} for a merge`);
      box.addEventListener('change', () => {
        if (box.checked) picked.add(p.id); else picked.delete(p.id);
        renderMergeChoices();
      });
      cell('Pick', box).className = 'pick-col';
    }
    cell('Face', crop(p.cover_crop_url, `A face of person ${p.id}`));
    cell('Person', String(p.id));
    cell('Faces', String(p.faces));
    if (canEdit()) {
      const form = document.createElement('form');
      form.className = 'inline';
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
        edit(`/api/v1/people/${p.id}/name`, { name: input.value.trim() }, `Person ${p.id} renamed.`, $('people-refresh'));
      });
      cell('Name', form);
    } else {
      cell('Name', p.name || '(unnamed)');
    }
    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'link';
    show.textContent = 'Faces';
    show.setAttribute('aria-label', `Faces of person ${p.id}`);
    show.addEventListener('click', () => showPerson(p.id));
    cell('', show);
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
    const editor = canEdit();
    $('people-table').classList.toggle('can-edit', editor);
    $('people-cluster').hidden = !editor;
    try {
      const r = await ctx.api().get(`/api/v1/people${q}`);
      people = r.people;
      for (const id of [...picked]) if (!people.some((p) => p.id === id)) picked.delete(id);
      $('people-table').querySelector('tbody').replaceChildren(...people.map(row));
      $('people-table').hidden = people.length === 0;
      $('people-empty').hidden = people.length > 0;
      $('people-empty').textContent = editor
        ? 'No people yet. “Cluster now” groups the catalog’s faces into people.'
        : 'No people yet. A privacy officer groups faces into people.';
      // No merge form without at least two people, and never for read-only roles.
      $('people-merge').hidden = !editor || people.length < 2;
      renderMergeChoices();
    } catch (err) {
      showAt($('people-refresh'), `Cannot load people: ${err.message}`);
    }
  }

  // The background clustering run: its state as words and a progress bar.
  function renderRun(run) {
    const bar = $('people-cluster-progress');
    const out = $('people-cluster-state');
    const running = run.state === 'running';
    $('people-cluster-start').disabled = running;
    bar.hidden = !running;
    if (running) {
      if (run.total > 0) { bar.max = run.total; bar.value = run.done; } else { bar.removeAttribute('value'); }
      out.dataset.kind = 'info';
      out.textContent = `Clustering (${run.phase}${run.total ? `: ${run.done} of ${run.total}` : ''}), ` +
        `started by ${run.started_by}…`;
    } else if (run.state === 'done') {
      const s = run.summary;
      out.dataset.kind = 'ok';
      out.textContent = `Clustered ${s.faces} face(s): ${s.new_people} new people (${s.new_people_faces} faces), ` +
        `${s.attached} joined existing people, ${s.unassigned} left unassigned; ${s.people} people in all. ` +
        `Audit record #${s.audit_seq}.`;
    } else if (run.state === 'failed') {
      out.dataset.kind = 'error';
      out.textContent = `Clustering failed: ${run.error}`;
    } else {
      out.textContent = '';
    }
  }

  async function poll() {
    try {
      const run = await ctx.api().get('/api/v1/people/cluster');
      renderRun(run);
      if (run.state === 'running') {
        polling = setTimeout(poll, 400);
      } else {
        polling = null;
        if (run.state === 'done') await load();
      }
    } catch (err) {
      polling = null;
      showAt($('people-cluster-start'), `Cannot read the clustering run: ${err.message}`);
    }
  }

  $('people-cluster-start').addEventListener('click', async () => {
    clearAll($('people-cluster'));
    try {
      renderRun(await ctx.api().post('/api/v1/people/cluster', {}));
      if (!polling) poll();
    } catch (err) {
      showAt($('people-cluster-start'), `Cannot start clustering: ${err.message}`);
    }
  });

  $('people-merge').addEventListener('submit', async (e) => {
    e.preventDefault();
    const into = Number($('merge-into').value);
    const from = [...picked].filter((id) => id !== into);
    if (!into || !from.length) {
      showAt($('merge-submit'), 'Tick at least two people, and choose the one to keep.');
      return;
    }
    $('merge-submit').disabled = true;
    for (const id of from) {
      // One merge per ticked person; a refusal (two faces of one photo) stops with its reason.
      try {
        await ctx.api().post(`/api/v1/people/${into}/merge`, { from: id });
        picked.delete(id);
      } catch (err) {
        await load();
        showAt($('merge-submit'), `Person ${id} was not merged: ${err.message}`);
        return;
      }
    }
    picked.clear();
    await load();
    showAt($('people-refresh'), `Merged ${from.join(', ')} into person ${into}.`, 'ok');
  });
  $('people-why').addEventListener('submit', (e) => {
    e.preventDefault();
    load(true);
  });
  return () => {
    load(false);
    if (canEdit() && !polling) poll();
  };
}
