// The Audit screen: the audit chain's records with filters (a batch from the Sources screen too),
// their details in words, an export of the records shown (CSV or JSON), and the chain's verification.
import { showAt, clearAll, hashParams, download } from './feedback.js';

const $ = (id) => document.getElementById(id);

function cell(label, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content); else td.textContent = content;
  td.dataset.label = label;
  return td;
}

// Detail keys in words; others are shown with underscores as spaces.
const LABELS = {
  source_id: 'source id', batch_id: 'ingest batch', face_ids: 'faces returned', image_id: 'image',
  returned_face_ids: 'faces returned', faces_removed: 'faces removed', images_removed: 'images removed',
  retain_until: 'retain until', via: 'made through', tenant: 'tenant', change: 'change',
  probe_hash: 'probe photo (SHA-256)', hash: 'record hash', top_k: 'results asked for',
};

function short(hash) { return hash && hash.length > 16 ? `${hash.slice(0, 12)}…` : hash; }

function valueText(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object')) {
      return v.length > 12 ? `${v.slice(0, 12).join(', ')} … (${v.length} in all)` : v.join(', ') || 'none';
    }
    return `${v.length} item(s)`;
  }
  if (typeof v === 'object') {
    return Object.entries(v).map(([k, x]) => `${k.replace(/_/g, ' ')}: ${valueText(x)}`).join('; ');
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

// The details of a record as a label/value list (not raw JSON); hashes shortened, in full on hover.
function detailsList(e) {
  const dl = document.createElement('dl');
  dl.className = 'facts small details';
  const entries = typeof e.details === 'object' && e.details !== null
    ? Object.entries(e.details) : [['details', e.details]];
  if (e.probe_hash) entries.push(['probe_hash', e.probe_hash]);
  entries.push(['hash', e.hash]);
  for (const [k, v] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = LABELS[k] || k.replace(/_/g, ' ');
    const dd = document.createElement('dd');
    if ((k === 'hash' || k === 'probe_hash') && typeof v === 'string') {
      dd.textContent = short(v);
      dd.title = v;
      dd.className = 'mono';
    } else {
      dd.textContent = valueText(v);
    }
    dl.append(dt, dd);
  }
  return dl;
}

const CSV_COLUMNS = ['seq', 'at', 'operator', 'action', 'purpose', 'legal_basis', 'case_ref',
  'result_count', 'probe_hash', 'details', 'hash', 'prev_hash'];

function csvField(v) {
  const s = v === null || v === undefined ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(entries) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => csvField(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function initAudit(ctx) {
  let shown = [];      // the records on screen (what an export writes)
  let query = '';      // their query string

  function filterSummary(q) {
    const parts = [];
    for (const [k, v] of q) parts.push(`${k.replace(/_/g, ' ')} ${v}`);
    return parts.length ? parts.join(', ') : 'no filter';
  }

  async function load() {
    const f = new FormData($('audit-form'));
    const q = new URLSearchParams();
    for (const name of ['action', 'operator', 'case_ref', 'from', 'to', 'batch_id', 'limit']) {
      const v = (f.get(name) || '').trim();
      if (v) q.set(name, v);
    }
    const button = $('audit-form').querySelector('button[type=submit]');
    clearAll($('audit-form'));
    try {
      const { entries } = await ctx.api().get(`/api/v1/audit?${q}`);
      shown = entries;
      query = q.toString();
      const tbody = $('audit-table').querySelector('tbody');
      tbody.replaceChildren(...entries.map((e) => {
        const tr = document.createElement('tr');
        tr.append(cell('#', e.seq), cell('When (UTC)', e.at.replace('T', ' ').slice(0, 19)),
          cell('Operator', e.operator), cell('Action', e.action), cell('Purpose', e.purpose),
          cell('Basis', e.legal_basis), cell('Case', e.case_ref), cell('Results', e.result_count),
          cell('Details', detailsList(e)));
        return tr;
      }));
      $('audit-export').hidden = entries.length === 0;
      showAt(button, `${entries.length} audit record(s) (${filterSummary(q)}).`, 'ok');
    } catch (err) {
      showAt(button, `Cannot read the audit log: ${err.message}`);
    }
  }

  function exportName(ext) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    return `likeness-audit-${stamp}.${ext}`;
  }

  $('audit-export-csv').addEventListener('click', () => {
    download(exportName('csv'), 'text/csv', toCsv(shown));
    showAt($('audit-export-json'), `Exported ${shown.length} record(s) as CSV.`, 'ok');
  });
  $('audit-export-json').addEventListener('click', () => {
    const doc = { exported_at: new Date().toISOString(), filter: Object.fromEntries(new URLSearchParams(query)),
      entries: shown };
    download(exportName('json'), 'application/json', `${JSON.stringify(doc, null, 2)}\n`);
    showAt($('audit-export-json'), `Exported ${shown.length} record(s) as JSON.`, 'ok');
  });

  $('audit-form').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('audit-batch-clear').addEventListener('click', () => {
    $('audit-batch').value = '';
    $('audit-batch-row').hidden = true;
    load();
  });
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
  // Entering the screen: a batch named in the route (#/audit?batch=7, from Sources) filters by it.
  return () => {
    const batch = hashParams().get('batch');
    $('audit-batch').value = batch && /^\d+$/.test(batch) ? batch : '';
    $('audit-batch-row').hidden = !$('audit-batch').value;
    $('audit-batch-label').textContent = $('audit-batch').value ? `Ingest batch ${$('audit-batch').value}` : '';
    load();
  };
}
