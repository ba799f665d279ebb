// The Privacy screen: subject access (then erasure of the faces found), erasure by source, image,
// face, batch or jurisdiction (preview, then execute, receipt shown and downloadable), opt-outs.
import { ART6, fillSelect } from './legal.js';
import { initSelfCheckRequests } from './selfcheck_requests.js';

const $ = (id) => document.getElementById(id);

export function initPrivacy(ctx) {
  fillSelect($('privacy-basis'), ART6, 'art6-1-c');
  let pending = null;  // the erasure request being previewed
  let urls = [];
  let receiptUrl = null;

  // The shared justification; null (and the form's own messages shown) when incomplete.
  function why() {
    const form = $('privacy-why');
    if (!form.reportValidity()) return null;
    const f = new FormData(form);
    return { purpose: f.get('purpose').trim(), legal_basis: f.get('legal_basis'), case_ref: f.get('case_ref').trim() };
  }

  function withWhy(form) {
    const w = why();
    if (!w) return null;
    for (const [k, v] of Object.entries(w)) form.append(k, v);
    return form;
  }

  async function preview(request) {
    try {
      const p = await ctx.api().post('/api/v1/erasures/preview', request);
      pending = request;
      $('erase-summary').textContent =
        `This erases ${p.face_count} face(s) and ${p.image_count} image(s) (by ${p.by}` +
        `${p.value ? ` “${p.value}”` : ''}). It cannot be undone.`;
      $('erase-preview').hidden = false;
      $('erase-execute').focus();
    } catch (err) {
      ctx.setStatus(`Preview failed: ${err.message}`, 'error');
    }
  }

  $('erase-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData($('erase-form'));
    preview({ by: f.get('by'), value: f.get('value').trim() });
  });

  $('erase-cancel').addEventListener('click', () => {
    pending = null;
    $('erase-preview').hidden = true;
    ctx.setStatus('Erasure cancelled; nothing was changed.');
  });

  $('erase-execute').addEventListener('click', async () => {
    const w = why();
    if (!w || !pending) return;
    $('erase-execute').disabled = true;
    try {
      const receipt = await ctx.api().post('/api/v1/erasures', { ...pending, ...w });
      pending = null;
      $('erase-preview').hidden = true;
      const text = JSON.stringify(receipt, null, 2);
      $('receipt-json').textContent = text;
      if (receiptUrl) URL.revokeObjectURL(receiptUrl);
      receiptUrl = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = $('receipt-download');
      link.href = receiptUrl;
      link.download = `erasure-receipt-${receipt.audit_seq}.json`;
      $('erase-receipt').hidden = false;
      $('access-result').hidden = true;
      ctx.setStatus(`Erased ${receipt.faces_removed} face(s), ${receipt.images_removed} image(s); ` +
        `receipt recorded as audit record #${receipt.audit_seq}.`);
    } catch (err) {
      ctx.setStatus(`Erasure failed: ${err.message}`, 'error');
    } finally {
      $('erase-execute').disabled = false;
    }
  });

  $('access-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = withWhy(new FormData($('access-form')));
    if (!form) return;
    ctx.setStatus('Looking up…');
    try {
      const r = await ctx.api().post('/api/v1/access', form);
      for (const u of urls) URL.revokeObjectURL(u);
      urls = [];
      $('access-summary').textContent = r.held
        ? `${r.faces.length} held face(s) match this person (threshold ${r.threshold}). Audit record #${r.audit_seq}.`
        : `No held face matches this person. Audit record #${r.audit_seq}.`;
      $('access-faces').replaceChildren(...r.faces.map((f) => {
        const li = document.createElement('li');
        li.className = 'result';
        const fig = document.createElement('figure');
        const img = document.createElement('img');
        img.alt = `Held face ${f.face_id} from ${f.source}`;
        ctx.api().imageUrl(f.crop_url).then((u) => { urls.push(u); img.src = u; }).catch(() => {});
        const cap = document.createElement('figcaption');
        const label = document.createElement('label');
        label.className = 'check';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = true;
        box.value = f.face_id;
        label.append(box, ` Face ${f.face_id} (score ${f.score.toFixed(3)})`);
        const facts = document.createElement('dl');
        facts.className = 'facts small';
        for (const [k, v] of [['Source', f.source], ['Basis', `${f.legal_basis}, ${f.art9_condition}`],
          ['Jurisdiction', f.jurisdiction], ['Ingested', (f.ingested_at || '').slice(0, 10)],
          ['Retention', f.retain_until || '—'], ['Returned by searches', f.search_hits]]) {
          const dt = document.createElement('dt');
          dt.textContent = k;
          const dd = document.createElement('dd');
          dd.textContent = v;
          facts.append(dt, dd);
        }
        cap.append(label, facts);
        fig.append(img, cap);
        li.appendChild(fig);
        return li;
      }));
      $('access-erase').hidden = !r.held;
      $('access-erase').dataset.probe = r.probe_sha256;
      $('access-result').hidden = false;
      ctx.setStatus('Subject access report ready.');
    } catch (err) {
      ctx.setStatus(`Lookup failed: ${err.message}`, 'error');
    }
  });

  $('access-erase').addEventListener('click', () => {
    const ids = [...$('access-faces').querySelectorAll('input[type=checkbox]:checked')]
      .map((b) => Number(b.value));
    if (!ids.length) {
      ctx.setStatus('Select at least one face to erase.', 'error');
      return;
    }
    preview({ by: 'subject', value: $('access-erase').dataset.probe, face_ids: ids });
  });

  async function loadOptOuts() {
    try {
      const { optouts } = await ctx.api().get('/api/v1/optouts');
      $('optout-table').querySelector('tbody').replaceChildren(...optouts.map((o) => {
        const tr = document.createElement('tr');
        const ref = document.createElement('td');
        ref.textContent = o.request;
        const since = document.createElement('td');
        since.textContent = o.created_at.slice(0, 10);
        const act = document.createElement('td');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'secondary';
        b.textContent = 'Withdraw';
        b.setAttribute('aria-label', `Withdraw opt-out ${o.request}`);
        b.addEventListener('click', async () => {
          const w = why();
          if (!w) return;
          try {
            await ctx.api().post(`/api/v1/optouts/${encodeURIComponent(o.request)}/withdraw`, w);
            ctx.setStatus(`Opt-out ${o.request} withdrawn.`);
            loadOptOuts();
          } catch (err) {
            ctx.setStatus(`Withdrawal failed: ${err.message}`, 'error');
          }
        });
        act.appendChild(b);
        tr.append(ref, since, act);
        return tr;
      }));
    } catch (err) {
      ctx.setStatus(`Cannot list opt-outs: ${err.message}`, 'error');
    }
  }

  $('optout-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = withWhy(new FormData($('optout-form')));
    if (!form) return;
    ctx.setStatus('Recording the opt-out…');
    try {
      const r = await ctx.api().post('/api/v1/optouts', form);
      ctx.setStatus(`Opt-out ${r.request} recorded; ${r.matched_faces} held face(s) erased.`);
      $('optout-form').reset();
      loadOptOuts();
    } catch (err) {
      ctx.setStatus(`Opt-out failed: ${err.message}`, 'error');
    }
  });

  const loadSelfCheckRequests = initSelfCheckRequests(ctx, why);
  return () => { loadOptOuts(); loadSelfCheckRequests(); };
}
