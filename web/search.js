// The Search screen: a probe photo plus purpose, basis and case; the faces found in it; for the
// chosen face, a grid of matches (crop, score, decision, source, basis, jurisdiction, date); and
// the full photo of a match with the face boxed.
import { ART6, fillSelect } from './legal.js';
import { drawBoxes } from './boxes.js';
import { dropzone } from './dropzone.js';
import { decorateVideoMatch } from './video.js';
import { showAt, clearAt } from './feedback.js';
import { keepJustificationForSession, restoreJustification, explainScores, drawProbeFace } from './search_ux.js';

const $ = (id) => document.getElementById(id);

function fmtScore(s) { return s.toFixed(3); }
function fmtDate(iso) { return iso ? iso.slice(0, 10) : ''; }

export function initSearch(ctx) {
  let probeUrl = null;
  let result = null;
  let selected = 0;
  let urls = [];  // object URLs of the current results, revoked on re-render

  fillSelect($('search-basis'), ART6, 'art6-1-e');
  keepJustificationForSession();
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
      : `${n} face${n === 1 ? '' : 's'} found (largest first). Audit record #${result.audit_seq}. ` +
        `Decision threshold ${fmtScore(result.threshold)} (${result.threshold_source})` +
        (result.expected_false_matches == null ? '.'
          : `: a stranger's search raises ${result.expected_false_matches.toPrecision(2)} false matches on average over ${result.gallery_size} faces.`);
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
    ctx.api().imageUrl(m.crop_url).then((u) => { urls.push(u); img.src = u; m.cropObjectUrl = u; })
      .catch((e) => { img.alt = `Crop unavailable: ${e.message}`; });
    const cap = document.createElement('figcaption');
    const badge = document.createElement('span');
    badge.className = `badge ${m.match ? 'yes' : 'no'}`;
    badge.textContent = m.match ? 'Match' : m.candidate ? 'Review candidate' : 'No match';
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
    // A video match opens the frame it was found in (the player is the card's "Play" button).
    const what = m.media === 'video' ? 'frame' : 'photo';
    open.textContent = `Open ${what}`;
    open.setAttribute('aria-label', `Open the ${what} of face ${m.face_id} (${m.source})`);
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
    explainScores($('results-explain'), result, face);
    if (!face) {
      list.replaceChildren();
      $('results-title').textContent = 'Results';
      return;
    }
    $('results-title').textContent = `Results for face ${selected + 1}`;
    // Matches only (the server enforces the decision threshold); candidates below it, when an
    // admin asked for them, folded away under their own label.
    const items = face.matches.map(card);
    if (!face.matches.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = `No match: no face in the catalog reaches the decision threshold (${fmtScore(result.threshold)}).`;
      items.push(li);
    }
    if (face.candidates && face.candidates.length) items.push(candidatesFold(face.candidates));
    list.replaceChildren(...items);
  }

  function candidatesFold(candidates) {
    const li = document.createElement('li');
    li.className = 'candidates';
    const fold = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = `${candidates.length} candidate(s) below the threshold: for human review, not matches`;
    const inner = document.createElement('ul');
    inner.className = 'results';
    inner.replaceChildren(...candidates.map(card));
    fold.append(summary, inner);
    li.appendChild(fold);
    return li;
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
    drawProbeFace($('compare-probe'), $('probe-img'), result.faces[selected] && result.faces[selected].box);
    if (m.cropObjectUrl) $('compare-match').src = m.cropObjectUrl;
    else $('compare-match').removeAttribute('src');
    clearAt($('image-facts'));
    if (!dialog.open) dialog.showModal();
    try {
      const u = await ctx.api().imageUrl(m.image_url);
      urls.push(u);
      img.onload = () => drawBoxes($('image-boxed'), [{ box: m.box, match: m.match, selected: true }],
        m.image_width, m.image_height);
      img.src = u;
    } catch (e) {
      showAt($('image-facts'), `Cannot show the photo: ${e.message}`);
    }
  }

  $('search-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('search-image').files[0];
    const button = $('search-submit');
    if (!file) {
      showAt($('search-image'), 'Choose a probe photo first.');
      return;
    }
    const form = new FormData($('search-form'));
    if (!form.get('review_reason')) { form.delete('review_candidates'); form.delete('review_reason'); }
    button.disabled = true;
    showAt(button, 'Searching…', 'info');
    try {
      result = await ctx.api().post('/api/v1/search', form);
      if (probeUrl) URL.revokeObjectURL(probeUrl);
      probeUrl = URL.createObjectURL(file);
      selected = 0;
      $('search-result').hidden = false;
      renderProbe();
      renderResults();
      const matched = result.faces.filter((f) => f.decision === 'match').length;
      showAt(button, `Search done: ${result.faces.length} face(s), ${matched} with a match.`, 'ok');
      // The results are below the form: bring them into view, and the reader's focus with them.
      $('search-result').scrollIntoView({ block: 'start' });
      $('results-title').focus({ preventScroll: true });
    } catch (err) {
      showAt(button, `Search failed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });

  return () => restoreJustification();
}
