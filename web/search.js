// The Search screen: a probe photo plus purpose, basis and case; the faces found in it; for the
// chosen face, a grid of matches (crop, score, decision, source, basis, jurisdiction, date); and
// the full photo of a match with the face boxed.
import { ART6, fillSelect } from './legal.js';
import { drawBoxes } from './boxes.js';
import { dropzone } from './dropzone.js';
import { decorateVideoMatch } from './video.js';

const $ = (id) => document.getElementById(id);

function fmtScore(s) { return s.toFixed(3); }
function fmtDate(iso) { return iso ? iso.slice(0, 10) : ''; }

export function initSearch(ctx) {
  let probeUrl = null;
  let result = null;
  let selected = 0;
  let urls = [];  // object URLs of the current results, revoked on re-render

  fillSelect($('search-basis'), ART6, 'art6-1-e');
  dropzone($('search-drop'), $('search-image'), (files) => {
    if (!files.length) return;
    $('search-drop').querySelector('span').textContent = files[0].name;
  });

  function revoke() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
  }

  function renderProbe() {
    const img = $('probe-img');
    const draw = () => drawBoxes($('probe-boxed'), result.faces.map((f, i) => ({
      box: f.box,
      match: f.decision === 'match',
      selected: i === selected,
      label: `Face ${i + 1}: ${f.decision === 'match' ? 'match' : 'no match'}`,
      onClick: () => selectFace(i),
    })), result.width, result.height);
    img.onload = draw;
    img.src = probeUrl;
    if (img.complete) draw();

    const n = result.faces.length;
    $('probe-summary').textContent = n === 0
      ? 'No face was found in this photo.'
      : `${n} face${n === 1 ? '' : 's'} found (largest first). Audit record #${result.audit_seq}.`;
    const list = $('probe-faces');
    list.replaceChildren(...result.faces.map((f, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `face-choice${i === selected ? ' selected' : ''}`;
      b.setAttribute('aria-pressed', String(i === selected));
      const best = f.matches.length ? fmtScore(f.matches[0].score) : '–';
      b.textContent = `Face ${i + 1}: ${f.decision === 'match' ? 'match' : 'no match'} (best ${best})`;
      b.addEventListener('click', () => selectFace(i));
      li.appendChild(b);
      return li;
    }));
  }

  function selectFace(i) {
    selected = i;
    renderProbe();
    renderResults();
  }

  function card(m) {
    const li = document.createElement('li');
    li.className = `result${m.match ? ' match' : ''}`;
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.alt = `Face ${m.face_id} from ${m.source}`;
    img.width = 160;
    img.height = 160;
    ctx.api().imageUrl(m.crop_url).then((u) => { urls.push(u); img.src = u; })
      .catch((e) => { img.alt = `Crop unavailable: ${e.message}`; });
    const cap = document.createElement('figcaption');
    const badge = document.createElement('span');
    badge.className = `badge ${m.match ? 'yes' : 'no'}`;
    badge.textContent = m.match ? 'Match' : 'No match';
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = `score ${fmtScore(m.score)}`;
    if (m.score_cosine !== undefined && m.score_cosine !== m.score) {
      score.textContent += ` (cosine ${fmtScore(m.score_cosine)})`;
    }
    const facts = document.createElement('dl');
    facts.className = 'facts small';
    for (const [k, v] of [
      ['Source', m.source],
      ['Legal basis', `${m.legal_basis}${m.art9_condition ? `, ${m.art9_condition}` : ''}`],
      ['Jurisdiction', m.jurisdiction],
      ['Ingested', fmtDate(m.ingested_at)],
      ['Retain until', m.retain_until || '—'],
    ]) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      facts.append(dt, dd);
    }
    const open = document.createElement('button');
    open.type = 'button';
    open.textContent = 'Open photo';
    open.setAttribute('aria-label', `Open the photo of face ${m.face_id} (${m.source})`);
    open.addEventListener('click', () => openImage(m));
    cap.append(badge, score, facts, open);
    decorateVideoMatch(ctx, m, cap, urls);
    fig.append(img, cap);
    li.appendChild(fig);
    return li;
  }

  function renderResults() {
    revoke();
    const list = $('results');
    const face = result.faces[selected];
    if (!face) {
      list.replaceChildren();
      $('results-title').textContent = 'Results';
      return;
    }
    $('results-title').textContent = `Results for face ${selected + 1}`;
    if (!face.matches.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No face in the catalog is close to this one.';
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...face.matches.map(card));
  }

  async function openImage(m) {
    const dialog = $('image-dialog');
    const img = $('image-full');
    $('image-dialog-title').textContent = `Photo ${m.image_id} · ${m.source}`;
    img.alt = `Photo ${m.image_id} from source ${m.source}, the matched face boxed`;
    const facts = $('image-facts');
    facts.replaceChildren();
    for (const [k, v] of [['Score', fmtScore(m.score)], ['Decision', m.match ? 'match' : 'no match'],
      ['Source', m.source], ['Legal basis', `${m.legal_basis}, ${m.art9_condition}`],
      ['Jurisdiction', m.jurisdiction], ['Ingested', fmtDate(m.ingested_at)],
      ['SHA-256', m.image_sha256]]) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      facts.append(dt, dd);
    }
    drawBoxes($('image-boxed'), [], 1, 1);
    if (!dialog.open) dialog.showModal();
    try {
      const u = await ctx.api().imageUrl(m.image_url);
      urls.push(u);
      img.onload = () => drawBoxes($('image-boxed'), [{ box: m.box, match: m.match, selected: true }],
        m.image_width, m.image_height);
      img.src = u;
    } catch (e) {
      ctx.setStatus(`Cannot show the photo: ${e.message}`, 'error');
    }
  }

  $('search-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('search-image').files[0];
    if (!file) {
      ctx.setStatus('Choose a probe photo first.', 'error');
      return;
    }
    const form = new FormData($('search-form'));
    const button = $('search-submit');
    button.disabled = true;
    ctx.setStatus('Searching…');
    try {
      result = await ctx.api().post('/api/v1/search', form);
      if (probeUrl) URL.revokeObjectURL(probeUrl);
      probeUrl = URL.createObjectURL(file);
      selected = 0;
      $('search-result').hidden = false;
      renderProbe();
      renderResults();
      const matched = result.faces.filter((f) => f.decision === 'match').length;
      ctx.setStatus(`Search done: ${result.faces.length} face(s), ${matched} with a match.`);
    } catch (err) {
      ctx.setStatus(`Search failed: ${err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });

  return () => {};
}
