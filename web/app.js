// The Likeness web app: sign in with an API key, then the screens the key's role may use.
// Plain ES modules, no framework, nothing loaded from elsewhere.
import { Api } from './api.js';
import { initSearch } from './search.js';
import { initIngest } from './ingest.js';
import { initStats } from './stats.js';
import { initAudit } from './audit.js';
import { initPrivacy } from './privacy.js';
import { initPeople } from './people.js';
import { initSources } from './sources.js';
import { clearAll, showAt } from './feedback.js';

const KEY_STORAGE = 'likeness.key';
const $ = (id) => document.getElementById(id);

const state = { api: null, who: null, screens: {}, current: null };

// The screen each role lands on after sign-in (and for an empty route).
const LANDING = { admin: 'search', search: 'search', ingest: 'ingest', auditor: 'audit', privacy: 'privacy' };
// Values the app keeps for the browser tab (cleared at sign-out).
const SESSION_KEYS = ['likeness.search.purpose', 'likeness.search.basis', 'likeness.search.case'];

export function setStatus(text, kind = 'info') {
  const s = $('status');
  s.textContent = text;
  s.dataset.kind = kind;
}

function screenAllowed(name) {
  const link = document.querySelector(`#nav a[data-screen="${name}"]`);
  return link && state.who && link.dataset.roles.split(' ').includes(state.who.role);
}

function show(name) {
  if (state.current !== name) {
    // A message belongs to the screen it was shown on.
    setStatus('');
    clearAll();
    state.current = name;
  }
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== `screen-${name}`;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.screen === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const heading = document.querySelector(`#screen-${name} h2`);
  if (heading) document.title = `${heading.textContent} · Likeness`;
}

function route() {
  if (!state.api) {
    show('login');
    $('login-key').focus();
    return;
  }
  const wanted = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const first = [...document.querySelectorAll('#nav a')].find((a) => !a.hidden);
  const landing = LANDING[state.who.role];
  const name = wanted || (landing && screenAllowed(landing) ? landing : (first ? first.dataset.screen : 'denied'));
  if (!screenAllowed(name)) {
    show('denied');
    return;
  }
  show(name);
  const enter = state.screens[name];
  if (enter) enter();
}

async function signIn(key, quiet) {
  const api = new Api(key);
  try {
    const who = await api.get('/api/v1/whoami');
    if (who.role === 'selfcheck') {
      // A kiosk key belongs to the public self-check page, not the staff app.
      sessionStorage.removeItem(KEY_STORAGE);
      showAt($('login-submit'), 'This is a self-check (kiosk) key: opening the self-check page…', 'info');
      location.assign('/selfcheck');
      return;
    }
    state.api = api;
    state.who = who;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('who-name').textContent = `${who.name} (${who.role}${who.tenant !== 'default' ? `, ${who.tenant}` : ''})`;
    $('who').hidden = false;
    $('nav').hidden = false;
    document.body.dataset.role = who.role;
    for (const a of document.querySelectorAll('#nav a')) {
      a.parentElement.hidden = !a.dataset.roles.split(' ').includes(who.role);
      a.hidden = a.parentElement.hidden;
    }
    clearAll($('login-form'));
    route();
    if (!quiet) setStatus(`Signed in as ${who.name}.`);
    $('main').focus();
  } catch (e) {
    sessionStorage.removeItem(KEY_STORAGE);
    if (!quiet) showAt($('login-submit'), `Sign-in failed: ${e.message}`);
  }
}

function signOut() {
  state.api = null;
  state.who = null;
  sessionStorage.removeItem(KEY_STORAGE);
  for (const k of SESSION_KEYS) sessionStorage.removeItem(k);
  delete document.body.dataset.role;
  $('who').hidden = true;
  $('nav').hidden = true;
  $('login-key').value = '';
  history.replaceState(null, '', location.pathname);
  route();
  setStatus('Signed out.');
}

function init() {
  const ctx = {
    api: () => state.api,
    role: () => (state.who ? state.who.role : ''),
    can: (screen) => screenAllowed(screen),
    setStatus,
  };
  state.screens.search = initSearch(ctx);
  state.screens.ingest = initIngest(ctx);
  state.screens.stats = initStats(ctx);
  state.screens.audit = initAudit(ctx);
  state.screens.privacy = initPrivacy(ctx);
  state.screens.people = initPeople(ctx);
  state.screens.sources = initSources(ctx);
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('login-key').value.trim(), false);
  });
  $('logout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved, true);
  else route();
}

init();
