// The public self-check page: live camera capture answering a random liveness challenge, then the
// answer and erasure / opt-out requests. No file upload: frames come only from getUserMedia.
// The kiosk key comes from the URL fragment (#key=..., never sent to the server in the URL) and is
// kept in sessionStorage so a reload still works; it is never shown in a field. An attended kiosk's
// terminal is set up once with #key=...&device=... (the device secret stays in localStorage on that
// terminal and goes with every request as X-Likeness-Device).
'use strict';
(() => {
  const FRAMES = 12;          // frames per capture
  const INTERVAL_MS = 250;    // between frames: a 3 s capture
  const WIDTH = 640;          // frame width sent (height follows the camera's aspect)
  const KEY_ITEM = 'likeness.selfcheck.key';
  const DEVICE_ITEM = 'likeness.selfcheck.device';
  const $ = (id) => document.getElementById(id);
  const status = $('sc-status');
  let stream = null;
  let challenge = null;
  let receipt = null;

  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('key')) sessionStorage.setItem(KEY_ITEM, fragment.get('key'));
  if (fragment.get('device')) localStorage.setItem(DEVICE_ITEM, fragment.get('device'));
  if (location.hash) history.replaceState(null, '', location.pathname);
  const key = () => sessionStorage.getItem(KEY_ITEM) || '';
  if (!key()) {
    $('sc-no-key').hidden = false;
    $('sc-start').disabled = true;
  }

  function say(text, cls) {
    status.textContent = text;
    status.className = cls || '';
  }

  function advise(lines) {
    $('sc-advice').replaceChildren(...(lines || []).map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }));
    $('sc-advice').hidden = !lines || lines.length === 0;
  }

  class ApiError extends Error {
    constructor(message, status, body) { super(message); this.status = status; this.body = body; }
  }

  async function call(path, body) {
    const headers = { Authorization: `Bearer ${key()}` };
    const device = localStorage.getItem(DEVICE_ITEM);
    if (device) headers['X-Likeness-Device'] = device;
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    const res = await fetch(path, { method: 'POST', headers, body });
    let json = {};
    try { json = await res.json(); } catch (e) { /* empty body */ }
    if (res.status === 401) {
      throw new ApiError('This kiosk link is not valid: its key is wrong or was withdrawn. ' +
        'Please ask the organisation for a new link.', 401, json);
    }
    if (res.status === 429) {
      const wait = Number(res.headers.get('Retry-After')) || 60;
      const when = wait > 90 ? `${Math.ceil(wait / 60)} minutes` : `${wait} seconds`;
      throw new ApiError(`Too many checks from here just now; please wait ${when} and try again.`, 429, json);
    }
    if (!res.ok) {
      throw new ApiError((json.error && json.error.message) || 'Something went wrong; please try again.', res.status, json);
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

  function cameraProblem(e) {
    if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) {
      return 'The camera was not allowed. Allow it for this site (the camera or lock symbol next to ' +
        'the web address), then press “Start the camera” again.';
    }
    if (e && (e.name === 'NotFoundError' || e.name === 'OverconstrainedError')) {
      return 'No camera was found. Connect a camera, or use a phone or computer that has one.';
    }
    if (e && e.name === 'NotReadableError') {
      return 'The camera is in use by another program. Close it there, then try again.';
    }
    return 'The camera could not start. Check that it is connected and allowed for this site.';
  }

  $('sc-start').addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      $('sc-video').srcObject = stream;
      await $('sc-video').play();
    } catch (e) {
      say(cameraProblem(e), 'sc-refused');
      return;
    }
    $('sc-start').disabled = true;
    $('sc-guide').hidden = false;
    say('Camera on. Keep your face inside the oval.');
    try {
      await newChallenge();
    } catch (e) {
      say(e.message, 'sc-refused');
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
    advise([]);
    const video = $('sc-video');
    const canvas = $('sc-canvas');
    const form = new FormData();
    form.append('nonce', challenge.nonce);
    say(`Recording: ${challenge.instructions}`);
    $('sc-guide').classList.add('sc-recording');
    const countdown = $('sc-countdown');
    countdown.hidden = false;
    for (let i = 0; i < FRAMES; i++) {
      countdown.textContent = String(Math.ceil(((FRAMES - i) * INTERVAL_MS) / 1000));
      form.append('frame', await grab(canvas, video), `frame${i}.jpg`);
      await new Promise((ok) => setTimeout(ok, INTERVAL_MS));
    }
    countdown.hidden = true;
    $('sc-guide').classList.remove('sc-recording');
    say('Checking…');
    challenge = null;
    try {
      const answer = await call('/api/v1/selfcheck/submit', form);
      showAnswer(answer);
      say('Live check passed.', 'sc-ok');
    } catch (e) {
      if (e.status === 422 && e.body && e.body.reference) {
        say('The check did not pass, so no result is given. Try again with a new challenge:', 'sc-refused');
        advise(e.body.advice);
      } else {
        say(e.message, 'sc-refused');
      }
      try { await newChallenge(); } catch (e2) { say(e2.message, 'sc-refused'); }
    }
  });

  // "2026-03-05T10:00:00Z" -> "March 2026"; "2027-03-05" -> "5 March 2027". No raw timestamps.
  function month(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  }
  function day(iso) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso || '')) return iso || '';
    return new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  }
  function country(code) {
    try { return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) || code; } catch (e) { return code; }
  }
  function para(text) {
    const p = document.createElement('p');
    p.textContent = text;
    return p;
  }
  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  // The remote answer: per source what the organisation publishes about it.
  function sourceBlock(s) {
    const div = document.createElement('div');
    div.className = 'sc-source';
    const h = document.createElement('h3');
    h.textContent = s.description;
    div.append(h, para(`Why they may hold it: ${s.legal_basis.join('; ')}.`));
    return div;
  }

  // The attended (full) report: per source, who collected it, when, the basis and how long it is kept.
  function fullBlock(s) {
    const div = document.createElement('div');
    div.className = 'sc-source';
    const h = document.createElement('h3');
    h.textContent = s.description;
    const months = [...new Set(s.photos.map((p) => month(p.added)).filter(Boolean))];
    const searched = s.photos.reduce((n, p) => n + (p.search_hits || 0), 0);
    div.append(h,
      para(`Collection: ${s.source}, collected by ${s.collector || 'the organisation'} in ${country(s.jurisdiction)}.`),
      para(`${plural(s.photos.length, 'photo', 'photos')} of you, added ${months.join(', ')}.`),
      para(`Why they may hold it: ${s.legal_basis_categories.join('; ')}.`),
      para(s.retain_until ? `Kept until ${day(s.retain_until)}.` : 'No end date is set for keeping it.'),
      para(searched ? `Staff searches have found these photos ${plural(searched, 'time', 'times')}.`
        : 'No staff search has found these photos.'));
    return div;
  }

  function showAnswer(answer) {
    receipt = answer.receipt || null;
    $('sc-report').hidden = false;
    $('sc-request-result').textContent = '';
    const sources = answer.report ? answer.report.sources : (answer.sources || []);
    $('sc-summary').textContent = answer.held
      ? `This organisation holds photos of you, in ${plural(sources.length, 'collection', 'collections')}. ${answer.kept}`
      : `This organisation holds no photos of you. ${answer.kept}`;
    $('sc-sources').replaceChildren(...sources.map(answer.report ? fullBlock : sourceBlock));
    $('sc-next').textContent = answer.full_report || '';
    $('sc-reference').textContent = `Your reference: ${answer.reference}. Quote it if you contact the privacy officer.`;
    $('sc-actions').hidden = !receipt;
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
