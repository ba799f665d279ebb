// The Ingest screen: declare a source (legal basis, Art. 9 condition, jurisdiction, retention),
// list sources, upload photos into one with live progress and a per-file report.
import { ART6, ART9, fillSelect } from './legal.js';
import { dropzone } from './dropzone.js';
import { showAt, clearAll } from './feedback.js';

// Today's date in UTC, YYYY-MM-DD (the server compares retention dates with it).
function todayUtc() { return new Date().toISOString().slice(0, 10); }

// What a per-file upload result says, in words.
function describe(item) {
  if (item.status === 'error') return `refused: ${item.error.message}`;
  if (item.status === 'duplicate') {
    if (item.held_in) return `already held in source “${item.held_in.source}” (image ${item.image_id})`;
    if (item.held_elsewhere) return 'already held on this instance, in a source of another organisation';
    return 'already held';
  }
  return item.status;
}

const $ = (id) => document.getElementById(id);

export function initIngest(ctx) {
  fillSelect($('source-basis'), ART6, 'art6-1-e');
  fillSelect($('source-art9'), ART9, 'art9-2-g');
  dropzone($('upload-drop'), $('upload-files'), (files) => {
    $('upload-drop').querySelector('span').textContent =
      files.length ? `${files.length} photo(s) chosen` : 'Drop photos here, or choose them';
  });

  async function loadSources(select) {
    const { sources } = await ctx.api().get('/api/v1/sources');
    const tbody = $('sources-table').querySelector('tbody');
    tbody.replaceChildren(...sources.map((s) => {
      const tr = document.createElement('tr');
      for (const [label, v] of [['Id', s.id], ['Name', s.name],
        ['Basis', `${s.legal_basis}, ${s.art9_condition}`], ['Jurisdiction', s.jurisdiction],
        ['Retain until', s.retain_until || '—'], ['Declared', s.created_at.slice(0, 10)]]) {
        const td = document.createElement('td');
        td.textContent = v;
        td.dataset.label = label;
        tr.appendChild(td);
      }
      return tr;
    }));
    const pick = $('upload-source');
    const keep = select !== undefined ? String(select) : pick.value;
    // No silent default: the user picks the source (a placeholder until then), or the source just
    // declared is chosen for them.
    const none = document.createElement('option');
    none.value = '';
    none.textContent = sources.some((s) => !s.shared) ? '— choose a source —' : '— declare a source first —';
    pick.replaceChildren(none, ...sources.filter((s) => !s.shared).map((s) => {
      const o = document.createElement('option');
      o.value = s.id;
      o.textContent = `${s.name} (${s.jurisdiction})`;
      o.selected = String(s.id) === keep;
      return o;
    }));
    if (!pick.value) none.selected = true;
  }

  $('source-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData($('source-form'));
    const body = {
      name: f.get('name').trim(),
      legal_basis: f.get('legal_basis'),
      art9_condition: f.get('art9_condition'),
      jurisdiction: f.get('jurisdiction').trim().toUpperCase(),
    };
    clearAll($('source-form'));
    const button = $('source-form').querySelector('button[type=submit]');
    const retain = f.get('retain_until');
    if (retain && retain < todayUtc()) {
      showAt($('source-retain'), `${retain} is in the past: photos in this source would be erased ` +
        'by the next retention sweep. Give today or a later date, or leave it empty.');
      $('source-retain').focus();
      return;
    }
    if (retain) body.retain_until = retain;
    try {
      const s = await ctx.api().post('/api/v1/sources', body);
      $('source-form').reset();
      showAt(button, `Source “${s.name}” declared (id ${s.id}).`, 'ok');
      await loadSources(s.id);
    } catch (err) {
      const field = /retain_until/.test(err.message) ? $('source-retain')
        : /jurisdiction|country/.test(err.message) ? $('source-country')
          : /name/.test(err.message) ? $('source-name') : button;
      showAt(field, `Could not declare the source: ${err.message}`);
    }
  });

  $('upload-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const files = [...$('upload-files').files];
    const source = $('upload-source').value;
    clearAll($('upload-form'));
    if (!source) {
      showAt($('upload-source'), 'Choose the source these photos come from.');
      $('upload-source').focus();
      return;
    }
    if (!files.length) {
      showAt($('upload-files'), 'Choose at least one photo.');
      return;
    }
    const table = $('upload-table');
    const tbody = table.querySelector('tbody');
    tbody.replaceChildren();
    table.hidden = false;
    const bar = $('upload-progress');
    const totalBytes = files.reduce((n, f) => n + f.size, 0) || 1;
    let doneBytes = 0;
    const totals = { images: 0, faces: 0, duplicates: 0, errors: 0 };
    $('upload-submit').disabled = true;
    bar.max = totalBytes;
    bar.value = 0;
    // One request per photo: progress per file, and one bad file never costs the others.
    for (const [i, file] of files.entries()) {
      $('upload-summary').textContent = `Uploading ${i + 1} of ${files.length}: ${file.name}`;
      const form = new FormData();
      form.append('images', file, file.name);
      const tr = document.createElement('tr');
      const cells = [['File', file.name], ['Result', '…'], ['Faces', '']].map(([label, v]) => {
        const td = document.createElement('td');
        td.textContent = v;
        td.dataset.label = label;
        tr.appendChild(td);
        return td;
      });
      tbody.appendChild(tr);
      try {
        const r = await ctx.api().upload(`/api/v1/sources/${source}/images`, form,
          (loaded) => { bar.value = doneBytes + loaded; });
        const item = r.files[0];
        cells[1].textContent = describe(item);
        tr.dataset.status = item.status;
        // A stored video: its faces are the best of each track (one track = one appearance).
        cells[2].textContent = item.media === 'video' && item.status === 'stored'
          ? `${item.faces} (video, ${item.tracks} track(s))` : (item.faces ?? '');
        totals.images += r.images;
        totals.faces += r.faces;
        totals.duplicates += r.duplicates;
        totals.errors += r.errors;
      } catch (err) {
        cells[1].textContent = `refused: ${err.message}`;
        tr.dataset.status = 'error';
        totals.errors += 1;
      }
      doneBytes += file.size;
      bar.value = doneBytes;
    }
    $('upload-submit').disabled = false;
    const summary = `Done: ${totals.images} stored (${totals.faces} faces), ` +
      `${totals.duplicates} already held, ${totals.errors} refused.`;
    $('upload-summary').textContent = summary;
    // Amber when some files were refused but others went in; red when none did.
    let kind = 'ok';
    if (totals.errors) kind = totals.images || totals.duplicates ? 'partial' : 'error';
    $('upload-summary').dataset.kind = kind;
  });

  return () => {
    loadSources().catch((err) => showAt($('sources-table'), `Cannot list sources: ${err.message}`));
  };
}
