// Search screen helpers: purpose, basis and case kept for the browser tab; the explanation of the
// score and the threshold shown with the results; the probe face beside the matched face.

const FIELDS = [
  ['search-purpose', 'likeness.search.purpose'],
  ['search-basis', 'likeness.search.basis'],
  ['search-case', 'likeness.search.case'],
];

// Restores the justification fields from sessionStorage and saves them as they change (the tab's
// session only: sessionStorage is per tab and cleared at sign-out).
export function keepJustificationForSession() {
  for (const [id, key] of FIELDS) {
    const el = document.getElementById(id);
    const saved = sessionStorage.getItem(key);
    if (saved !== null) el.value = saved;
    const save = () => sessionStorage.setItem(key, el.value);
    el.addEventListener('input', save);
    el.addEventListener('change', save);
  }
}

// Re-applies saved values (after a sign-in in the same tab, or a form reset).
export function restoreJustification() {
  for (const [id, key] of FIELDS) {
    const saved = sessionStorage.getItem(key);
    if (saved !== null) document.getElementById(id).value = saved;
  }
}

function fmt(x) { return Number(x).toFixed(3); }

// What the score means and where the threshold is, for the results of `face`.
export function explainScores(container, result, face) {
  container.replaceChildren();
  if (!result || !face) return;
  const threshold = Number(result.threshold);
  const best = face.matches.length ? face.matches[0].score : null;
  const p1 = document.createElement('p');
  const scoring = result.scoring === 'hubness'
    ? 'the hubness-corrected score: the cosine similarity, lowered for catalog faces that look ' +
      'like many people (they would otherwise match too often)'
    : 'the cosine similarity of the two faces\u2019 embeddings (1.000: the same photo; photos of ' +
      'different people mostly score below 0.3)';
  p1.textContent = `Score: ${scoring}.`;
  const p2 = document.createElement('p');
  p2.textContent = `Threshold ${fmt(threshold)}: a result at or above it is marked Match (the ` +
    'same person, as far as the model can tell); below it, No match \u2014 at most a candidate ' +
    'for a person to check, never an identification on its own.';
  const p3 = document.createElement('p');
  p3.className = 'explain-best';
  if (best === null) {
    p3.textContent = 'No catalog face came close to this face.';
  } else if (best >= threshold) {
    p3.textContent = `Best score ${fmt(best)} is ${fmt(best - threshold)} above the threshold.`;
  } else {
    p3.textContent = `Best score ${fmt(best)} is ${fmt(threshold - best)} below the threshold: ` +
      'no match.';
  }
  const meter = document.createElement('div');
  meter.className = 'score-meter';
  meter.setAttribute('aria-hidden', 'true');
  const mark = document.createElement('span');
  mark.className = 'score-threshold';
  mark.style.left = `${Math.max(0, Math.min(1, threshold)) * 100}%`;
  meter.appendChild(mark);
  if (best !== null) {
    const dot = document.createElement('span');
    dot.className = `score-best${best >= threshold ? ' match' : ''}`;
    dot.style.left = `${Math.max(0, Math.min(1, best)) * 100}%`;
    meter.appendChild(dot);
  }
  container.append(p1, p2, meter, p3);
}

// Draws the probe's face (box in the probe's pixels) onto `canvas`, with a margin, square.
export function drawProbeFace(canvas, img, box) {
  const ctx2d = canvas.getContext('2d');
  ctx2d.clearRect(0, 0, canvas.width, canvas.height);
  if (!img || !img.naturalWidth || !box) return;
  const side = Math.max(box.width, box.height) * 1.3;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const sx = Math.max(0, cx - side / 2);
  const sy = Math.max(0, cy - side / 2);
  const sw = Math.min(side, img.naturalWidth - sx);
  const sh = Math.min(side, img.naturalHeight - sy);
  ctx2d.drawImage(img, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height * (sh / sw));
}
