// The Privacy screen's "Self-check requests" section: the kiosk checks of the officer's
// organisation by request reference (GET /api/v1/selfcheck/requests), and, once the officer has
// verified the requester by the organisation's procedure, the full report released for a passed
// check (POST /api/v1/selfcheck/requests/{ref}/release, audited with the shared justification).
const $ = (id) => document.getElementById(id);

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

// `why()` returns the Privacy screen's justification (or null when the form is incomplete).
export function initSelfCheckRequests(ctx, why) {
  async function release(ref) {
    const w = why();
    if (!w) return;
    try {
      const r = await ctx.api().post(`/api/v1/selfcheck/requests/${encodeURIComponent(ref)}/release`, w);
      $('scr-report-title').textContent = `Full report for ${ref} (audit record #${r.audit_seq})`;
      $('scr-report-json').textContent = JSON.stringify(r, null, 2);
      $('scr-report').hidden = false;
      ctx.setStatus(`Full report for ${ref} released to you; give it to the verified requester.`);
      load();
    } catch (err) {
      ctx.setStatus(`Release failed: ${err.message}`, 'error');
    }
  }

  async function load() {
    try {
      const { requests } = await ctx.api().get('/api/v1/selfcheck/requests');
      $('scr-table').querySelector('tbody').replaceChildren(...requests.map((q) => {
        const tr = document.createElement('tr');
        tr.append(cell(q.reference), cell(q.at.slice(0, 16).replace('T', ' ')),
          cell(q.outcome === 'passed' ? (q.held ? 'passed, held' : 'passed, not held') : 'refused'),
          cell(q.attended ? 'attended' : 'remote'), cell(q.asked.join(', ') || '—'),
          cell(q.released_at ? q.released_at.slice(0, 10) : '—'));
        const act = document.createElement('td');
        if (q.outcome === 'passed' && q.held) {
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'secondary';
          b.textContent = 'Release full report';
          b.setAttribute('aria-label', `Release the full report for ${q.reference}`);
          b.addEventListener('click', () => release(q.reference));
          act.appendChild(b);
        }
        tr.appendChild(act);
        return tr;
      }));
      $('scr-empty').hidden = requests.length > 0;
    } catch (err) {
      ctx.setStatus(`Cannot list self-check requests: ${err.message}`, 'error');
    }
  }
  return load;
}
