// The Privacy screen: subject access (then erasure of the faces found), erasure by source, image,
// face, batch or jurisdiction (preview, then execute, receipt shown and downloadable), opt-outs.
import { ART6, fillSelect } from './legal.js';
import { initSelfCheckRequests } from './selfcheck_requests.js';
import { showAt, clearAll, hashParams } from './feedback.js';

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

  async function preview(request, anchor) {
    const w = why();  // a preview shows which faces a request reaches: audited, with its why
    if (!w) return;
    try {
      const p = await ctx.api().post('/api/v1/erasures/preview', { ...request, ...w });
      pending = request;
      $('erase-summary').textContent =
        `This erases ${p.face_count} face(s) and ${p.image_count} image(s) (by ${p.by}` +
        `${p.value ? ` “${p.value}”` : ''}). It cannot be undone.`;
      $('erase-preview').hidden = false;
      $('erase-execute').focus();
    } catch (err) {
      showAt(anchor, `Preview failed: ${err.message}`);
    }
  }

  $('erase-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData($('erase-form'));
    preview({ by: f.get('by'), value: f.get('value').trim() },
      $('erase-form').querySelector('button[type=submit]'));
  });

  $('erase-cancel').addEventListener('click', () => {
    pending = null;
    $('erase-preview').hidden = true;
    showAt($('erase-form').querySelector('button[type=submit]'), 'Erasure cancelled; nothing was changed.', 'info');
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
      $('receipt-summary').textContent = `Erased ${receipt.faces_removed} face(s), ` +
        `${receipt.images_removed} image(s); receipt recorded as audit record #${receipt.audit_seq}.`;
      $('erase-receipt').scrollIntoView({ block: 'start' });
    } catch (err) {
      showAt($('erase-execute'), `Erasure failed: ${err.message}`);
    } finally {
      $('erase-execute').disabled = false;
    }
  });

  $('access-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = withWhy(new FormData($('access-form')));
    if (!form) return;
    const button = $('access-form').querySelector('button[type=submit]');
    showAt(button, 'Looking up…', 'info');
    try {
      const r = await ctx.api().post('/api/v1/access', form);
      for (const u of urls) URL.revokeObjectURL(u);
      urls = [];
      $('access-summary').textContent = r.held
        ? `${r.faces.length} held face(s) match this person (threshold ${Number(r.threshold).toFixed(2)}). ` +
          `Audit record #${r.audit_seq}.`
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
        facts.className = 'facts small stacked';
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
      showAt(button, 'Subject access report ready (below).', 'ok');
      $('access-result').scrollIntoView({ block: 'start' });
    } catch (err) {
      showAt(button, `Lookup failed: ${err.message}`);
    }
  });

  $('access-erase').addEventListener('click', () => {
    const ids = [...$('access-faces').querySelectorAll('input[type=checkbox]:checked')]
      .map((b) => Number(b.value));
    if (!ids.length) {
      showAt($('access-erase'), 'Select at least one face to erase.');
      return;
    }
    preview({ by: 'subject', value: $('access-erase').dataset.probe, face_ids: ids }, $('access-erase'));
  });

  async function loadOptOuts() {
    try {
      const { optouts } = await ctx.api().get('/api/v1/optouts');
      $('optout-table').querySelector('tbody').replaceChildren(...optouts.map((o) => {
        const tr = document.createElement('tr');
        const ref = document.createElement('td');
        ref.textContent = o.request;
        ref.dataset.label = 'Request';
        const since = document.createElement('td');
        since.textContent = o.created_at.slice(0, 10);
        since.dataset.label = 'Since';
        const act = document.createElement('td');
        act.dataset.label = 'Action';
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
            showAt($('optout-table'), `Opt-out ${o.request} withdrawn.`, 'ok');
            loadOptOuts();
          } catch (err) {
            showAt(b, `Withdrawal failed: ${err.message}`);
          }
        });
        act.appendChild(b);
        tr.append(ref, since, act);
        return tr;
      }));
    } catch (err) {
      showAt($('optout-table'), `Cannot list opt-outs: ${err.message}`);
    }
  }

  $('optout-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = withWhy(new FormData($('optout-form')));
    if (!form) return;
    const button = $('optout-form').querySelector('button[type=submit]');
    showAt(button, 'Recording the opt-out…', 'info');
    try {
      const r = await ctx.api().post('/api/v1/optouts', form);
      $('optout-form').reset();
      showAt(button, `Opt-out ${r.request} recorded; ${r.matched_faces} held face(s) erased.`, 'ok');
      loadOptOuts();
    } catch (err) {
      showAt(button, `Opt-out failed: ${err.message}`);
    }
  });

  const loadSelfCheckRequests = initSelfCheckRequests(ctx, why);
  // Entering the screen: an erasure named in the route (#/privacy?erase=source&value=NAME, from the
  // Sources screen) fills the erasure form; nothing is erased before preview and confirmation.
  return () => {
    const p = hashParams();
    const by = p.get('erase');
    if (by && [...$('erase-by').options].some((o) => o.value === by)) {
      clearAll($('erase-form'));
      $('erase-by').value = by;
      $('erase-value').value = p.get('value') || '';
      $('erase-form').scrollIntoView({ block: 'start' });
      $('erase-value').focus({ preventScroll: true });
    }
    loadOptOuts();
    loadSelfCheckRequests();
  };
}
