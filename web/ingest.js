// The Ingest screen: declare a source (legal basis, Art. 9 condition, jurisdiction, retention),
// list sources, upload photos into one with live progress and a per-file report.
import { ART6, ART9, fillSelect } from './legal.js';
import { dropzone } from './dropzone.js';

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
      for (const v of [s.id, s.name, `${s.legal_basis}, ${s.art9_condition}`, s.jurisdiction,
        s.retain_until || '—', s.created_at.slice(0, 10)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    }));
    const pick = $('upload-source');
    const keep = select !== undefined ? String(select) : pick.value;
    pick.replaceChildren(...sources.map((s) => {
      const o = document.createElement('option');
      o.value = s.id;
      o.textContent = `${s.name} (${s.jurisdiction})`;
      o.selected = String(s.id) === keep;
      return o;
    }));
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
    if (f.get('retain_until')) body.retain_until = f.get('retain_until');
    try {
      const s = await ctx.api().post('/api/v1/sources', body);
      ctx.setStatus(`Source “${s.name}” declared (id ${s.id}).`);
      $('source-form').reset();
      await loadSources(s.id);
    } catch (err) {
      ctx.setStatus(`Could not declare the source: ${err.message}`, 'error');
    }
  });

  $('upload-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const files = [...$('upload-files').files];
    const source = $('upload-source').value;
    if (!files.length || !source) {
      ctx.setStatus('Choose a source and at least one photo.', 'error');
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
      const cells = [file.name, '…', ''].map((v) => {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
        return td;
      });
      tbody.appendChild(tr);
      try {
        const r = await ctx.api().upload(`/api/v1/sources/${source}/images`, form,
          (loaded) => { bar.value = doneBytes + loaded; });
        const item = r.files[0];
        cells[1].textContent = item.status === 'error' ? `error: ${item.error.message}` : item.status;
        cells[2].textContent = item.faces ?? '';
        totals.images += r.images;
        totals.faces += r.faces;
        totals.duplicates += r.duplicates;
        totals.errors += r.errors;
      } catch (err) {
        cells[1].textContent = `error: ${err.message}`;
        totals.errors += 1;
      }
      doneBytes += file.size;
      bar.value = doneBytes;
    }
    $('upload-submit').disabled = false;
    const summary = `Done: ${totals.images} stored (${totals.faces} faces), ` +
      `${totals.duplicates} already held, ${totals.errors} refused.`;
    $('upload-summary').textContent = summary;
    ctx.setStatus(summary, totals.errors ? 'error' : 'info');
  });

  return () => {
    loadSources().catch((err) => ctx.setStatus(`Cannot list sources: ${err.message}`, 'error'));
  };
}
