// The Stats screen: catalog and index figures.
import { showAt } from './feedback.js';
const $ = (id) => document.getElementById(id);

export function initStats(ctx) {
  async function load() {
    try {
      const s = await ctx.api().get('/api/v1/stats');
      const rows = [
        ['Sources', s.sources], ['Images', s.images], ['Faces', s.faces],
        ['Searchable faces', s.searchable_faces], ['Ingest batches', s.batches],
        ['Ingest errors', s.ingest_errors], ['Index', `${s.index.kind}, ${s.index.vectors} vectors`],
        ['Model', s.model_id || '(none yet)'], ['Schema', `v${s.schema_version}`],
      ];
      $('stats').replaceChildren(...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }));
    } catch (err) {
      showAt($('stats-refresh'), `Cannot load stats: ${err.message}`);
    }
  }
  $('stats-refresh').addEventListener('click', load);
  return load;
}
