// The Sources screen: every source the key's tenant sees, with its legal basis, jurisdiction,
// retention, owner tenant, image and face counts, batches and errors; per source its ingest
// batches (with the files that failed), a link to each batch's audit records (auditors, admins) and
// to erasure by source (privacy officers, admins; owned sources only).
import { showAt } from './feedback.js';

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function facts(rows) {
  const dl = el('dl', 'facts small stacked-narrow');
  for (const [k, v] of rows) dl.append(el('dt', '', k), el('dd', '', v));
  return dl;
}

function when(iso) { return iso ? iso.replace('T', ' ').slice(0, 16) : ''; }

export function initSources(ctx) {
  const canReadBatches = () => ['admin', 'ingest', 'auditor', 'privacy'].includes(ctx.role());
  const canErase = () => ['admin', 'privacy'].includes(ctx.role());
  const canAudit = () => ['admin', 'auditor'].includes(ctx.role());

  async function showBatches(source, panel, button) {
    panel.hidden = false;
    panel.replaceChildren(el('p', 'note', 'Loading batches…'));
    try {
      const r = await ctx.api().get(`/api/v1/sources/${source.id}/batches`);
      if (!r.batches.length) {
        panel.replaceChildren(el('p', 'note', 'No ingest batch yet.'));
        return;
      }
      const table = el('table', 'table cards batches');
      table.append(el('caption', '', `Ingest batches of “${source.name}”, newest first`));
      const head = el('tr');
      for (const h of ['Batch', 'Started (UTC)', 'Finished', 'Images', 'Faces', 'Errors', 'Skipped', '']) {
        const th = el('th', '', h);
        th.scope = 'col';
        head.append(th);
      }
      table.append(el('thead'));
      table.tHead.append(head);
      const body = el('tbody');
      for (const b of r.batches) {
        const tr = el('tr');
        const cell = (label, content) => {
          const td = el('td');
          if (content instanceof Node) td.append(content); else td.textContent = content;
          td.dataset.label = label;
          tr.append(td);
        };
        cell('Batch', `#${b.id}`);
        cell('Started (UTC)', when(b.started_at));
        cell('Finished', b.finished_at ? when(b.finished_at) : 'not finished');
        cell('Images', String(b.images));
        cell('Faces', String(b.faces));
        cell('Errors', String(b.errors));
        cell('Skipped', String(b.skipped));
        const links = el('div', 'links');
        if (canAudit()) {
          const a = el('a', '', 'Audit records');
          a.href = `#/audit?batch=${b.id}`;
          a.setAttribute('aria-label', `Audit records of batch ${b.id}`);
          links.append(a);
        }
        if (canErase() && !source.shared) {
          const a = el('a', '', 'Erase batch…');
          a.href = `#/privacy?erase=batch&value=${b.id}`;
          a.setAttribute('aria-label', `Erase batch ${b.id}`);
          links.append(a);
        }
        cell('', links);
        body.append(tr);
        if (b.error_list.length) {
          const er = el('tr', 'batch-errors');
          const td = el('td');
          td.colSpan = 8;
          const ul = el('ul', 'error-list');
          for (const e of b.error_list) ul.append(el('li', '', `${e.file}: ${e.message}`));
          if (b.errors > b.error_list.length) ul.append(el('li', 'note', `… and ${b.errors - b.error_list.length} more`));
          td.append(el('span', 'label', `Files not ingested in batch #${b.id}`), ul);
          er.append(td);
          body.append(er);
        }
      }
      table.append(body);
      panel.replaceChildren(table);
    } catch (err) {
      panel.hidden = true;
      showAt(button, `Cannot list the batches: ${err.message}`);
    }
  }

  function card(s) {
    const li = el('li', 'card source');
    li.dataset.source = s.name;
    const head = el('div', 'source-head');
    const title = el('h3', '', s.name);
    head.append(title);
    if (s.shared) head.append(el('span', 'tag', `shared by ${s.tenant}`));
    const retention = s.retain_until || 'no date (the default retention applies)';
    li.append(head, facts([
      ['Legal basis', s.legal_basis],
      ['Biometric condition', s.art9_condition || '—'],
      ['Jurisdiction', s.jurisdiction],
      ['Retain until', retention],
      ['Owner tenant', s.tenant],
      ['Kind', s.kind],
      ['Declared', when(s.created_at)],
      ['Images', String(s.images ?? '—')],
      ['Faces', String(s.faces ?? '—')],
      ['Batches', String(s.batches ?? '—')],
      ['Ingest errors', String(s.ingest_errors ?? '—')],
    ]));
    const actions = el('div', 'actions');
    const panel = el('div', 'batch-panel');
    panel.hidden = true;
    if (canReadBatches() && !s.shared) {
      const b = el('button', 'secondary', 'Batches and errors');
      b.type = 'button';
      b.setAttribute('aria-label', `Batches and errors of ${s.name}`);
      b.addEventListener('click', () => showBatches(s, panel, b));
      actions.append(b);
    }
    if (canErase() && !s.shared) {
      const a = el('a', 'danger-link', 'Erase this source…');
      a.href = `#/privacy?erase=source&value=${encodeURIComponent(s.name)}`;
      a.setAttribute('aria-label', `Erase the source ${s.name} (preview first)`);
      actions.append(a);
    }
    li.append(actions, panel);
    return li;
  }

  async function load() {
    try {
      const { sources } = await ctx.api().get('/api/v1/sources');
      $('sources-list').replaceChildren(...sources.map(card));
      $('sources-empty').hidden = sources.length > 0;
    } catch (err) {
      showAt($('sources-refresh'), `Cannot list sources: ${err.message}`);
    }
  }

  $('sources-refresh').addEventListener('click', load);
  return load;
}
