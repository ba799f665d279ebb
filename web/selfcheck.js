// The public self-check page: live camera capture answering a random liveness challenge, then the
// report and erasure / opt-out requests. No file upload: frames come only from getUserMedia.
// The kiosk key comes from the URL fragment (#key=..., never sent to the server in the URL) or is
// typed by the kiosk operator.
'use strict';
(() => {
  const FRAMES = 12;          // frames per capture
  const INTERVAL_MS = 250;    // between frames: a 3 s capture
  const WIDTH = 640;          // frame width sent (height follows the camera's aspect)
  const $ = (id) => document.getElementById(id);
  const status = $('sc-status');
  let stream = null;
  let challenge = null;
  let receipt = null;

  const fragmentKey = new URLSearchParams(location.hash.slice(1)).get('key');
  if (fragmentKey) history.replaceState(null, '', location.pathname);
  else $('sc-key-box').hidden = false;
  const key = () => fragmentKey || $('sc-key').value.trim();

  function say(text, cls) {
    status.textContent = text;
    status.className = cls || '';
  }

  async function call(path, body) {
    const headers = { Authorization: `Bearer ${key()}` };
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    const res = await fetch(path, { method: 'POST', headers, body });
    let json = {};
    try { json = await res.json(); } catch (e) { /* empty body */ }
    if (res.status === 429) {
      const wait = res.headers.get('Retry-After') || 'a few';
      throw new Error(`Too many attempts from here; please wait ${wait} seconds and try again.`);
    }
    if (!res.ok) {
      const err = new Error((json.error && json.error.message) || `HTTP ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return json;
  }

  async function newChallenge() {
    challenge = await call('/api/v1/selfcheck/challenge');
    $('sc-instructions').textContent =
      `${challenge.instructions} Press “Record and check”; recording takes ${FRAMES * INTERVAL_MS / 1000} seconds.`;
    $('sc-instructions').dataset.challenge = challenge.challenge;
    $('sc-record').disabled = false;
  }

  $('sc-start').addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      $('sc-video').srcObject = stream;
      await $('sc-video').play();
      $('sc-start').disabled = true;
      say('Camera on.');
      await newChallenge();
    } catch (e) {
      say(`The camera could not start: ${e.message}`, 'sc-refused');
    }
  });

  function grab(canvas, video) {
    const h = Math.round(WIDTH * (video.videoHeight / video.videoWidth || 0.75));
    canvas.width = WIDTH;
    canvas.height = h;
    canvas.getContext('2d').drawImage(video, 0, 0, WIDTH, h);
    return new Promise((ok) => canvas.toBlob(ok, 'image/jpeg', 0.92));
  }

  $('sc-record').addEventListener('click', async () => {
    if (!challenge) return;
    $('sc-record').disabled = true;
    $('sc-report').hidden = true;
    const video = $('sc-video');
    const canvas = $('sc-canvas');
    const form = new FormData();
    form.append('nonce', challenge.nonce);
    say('Recording…');
    for (let i = 0; i < FRAMES; i++) {
      form.append('frame', await grab(canvas, video), `frame${i}.jpg`);
      await new Promise((ok) => setTimeout(ok, INTERVAL_MS));
    }
    say('Checking…');
    challenge = null;
    try {
      const report = await call('/api/v1/selfcheck/submit', form);
      showReport(report);
      say('Live check passed.', 'sc-ok');
    } catch (e) {
      say(`Refused: ${e.message}. No result is given. You can try again with a new challenge.`, 'sc-refused');
      try { await newChallenge(); } catch (e2) { say(e2.message, 'sc-refused'); }
    }
  });

  function showReport(report) {
    receipt = report.receipt;
    $('sc-report').hidden = false;
    $('sc-request-result').textContent = '';
    const places = report.places || [];
    $('sc-summary').textContent = report.held
      ? `Your face matches ${places.length} held face(s). ${report.kept}`
      : `Your face is not held here. ${report.kept}`;
    const body = $('sc-places').querySelector('tbody');
    body.replaceChildren();
    for (const p of places) {
      const tr = document.createElement('tr');
      for (const v of [p.source, p.collector, p.ingested_at, p.legal_basis, p.retain_until || 'policy default']) {
        const td = document.createElement('td');
        td.textContent = v || '—';
        tr.append(td);
      }
      body.append(tr);
    }
    $('sc-places').hidden = places.length === 0;
    $('sc-actions').hidden = places.length === 0;
  }

  async function request(kind) {
    try {
      const r = await call('/api/v1/selfcheck/requests', { receipt, kind });
      $('sc-request-result').textContent =
        `Your ${kind === 'erasure' ? 'erasure' : 'opt-out'} request is recorded, reference ${r.reference}. ${r.next}`;
      $('sc-actions').hidden = true;
    } catch (e) {
      $('sc-request-result').textContent = `The request was not recorded: ${e.message}`;
    }
  }
  $('sc-erase').addEventListener('click', () => request('erasure'));
  $('sc-optout').addEventListener('click', () => request('optout'));
})();
