// The Audit screen: the audit chain's records with filters, and its verification.
const $ = (id) => document.getElementById(id);

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

export function initAudit(ctx) {
  async function load() {
    const f = new FormData($('audit-form'));
    const q = new URLSearchParams();
    for (const name of ['action', 'operator', 'case_ref', 'from', 'to', 'limit']) {
      const v = (f.get(name) || '').trim();
      if (v) q.set(name, v);
    }
    try {
      const { entries } = await ctx.api().get(`/api/v1/audit?${q}`);
      const tbody = $('audit-table').querySelector('tbody');
      tbody.replaceChildren(...entries.map((e) => {
        const tr = document.createElement('tr');
        tr.append(cell(e.seq), cell(e.at.replace('T', ' ').slice(0, 19)), cell(e.operator),
          cell(e.action), cell(e.purpose), cell(e.legal_basis), cell(e.case_ref), cell(e.result_count));
        const td = document.createElement('td');
        const details = document.createElement('details');
        const summary = document.createElement('summary');
        summary.textContent = 'show';
        const pre = document.createElement('pre');
        pre.textContent = JSON.stringify({ ...e.details, probe_hash: e.probe_hash || undefined, hash: e.hash }, null, 2);
        details.append(summary, pre);
        td.appendChild(details);
        tr.appendChild(td);
        return tr;
      }));
      ctx.setStatus(`${entries.length} audit record(s).`);
    } catch (err) {
      ctx.setStatus(`Cannot read the audit log: ${err.message}`, 'error');
    }
  }

  $('audit-form').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('audit-verify').addEventListener('click', async () => {
    const out = $('audit-verify-result');
    out.textContent = 'Verifying…';
    try {
      const r = await ctx.api().get('/api/v1/audit/verify');
      out.dataset.ok = String(r.ok);
      out.textContent = r.ok
        ? `Intact: ${r.records_checked} record(s) and ${r.checkpoints_checked} signed checkpoint(s) verified.`
        : `Broken from record ${r.first_bad_seq}: ${r.problem}. ${r.message}`;
    } catch (err) {
      out.textContent = `Cannot verify: ${err.message}`;
    }
  });
  return load;
}
