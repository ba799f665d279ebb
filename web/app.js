// The Likeness web app: sign in with an API key, then the screens the key's role may use.
// Plain ES modules, no framework, nothing loaded from elsewhere.
import { Api } from './api.js';
import { initSearch } from './search.js';
import { initIngest } from './ingest.js';
import { initStats } from './stats.js';
import { initAudit } from './audit.js';
import { initPrivacy } from './privacy.js';
import { initPeople } from './people.js';

const KEY_STORAGE = 'likeness.key';
const $ = (id) => document.getElementById(id);

const state = { api: null, who: null, screens: {} };

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
  const name = wanted || (first ? first.dataset.screen : 'denied');
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
    state.api = api;
    state.who = who;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('who-name').textContent = `${who.name} (${who.role}${who.tenant !== 'default' ? `, ${who.tenant}` : ''})`;
    $('who').hidden = false;
    $('nav').hidden = false;
    for (const a of document.querySelectorAll('#nav a')) {
      a.parentElement.hidden = !a.dataset.roles.split(' ').includes(who.role);
      a.hidden = a.parentElement.hidden;
    }
    if (!quiet) setStatus(`Signed in as ${who.name}.`);
    route();
    $('main').focus();
  } catch (e) {
    sessionStorage.removeItem(KEY_STORAGE);
    if (!quiet) setStatus(`Sign-in failed: ${e.message}`, 'error');
  }
}

function signOut() {
  state.api = null;
  state.who = null;
  sessionStorage.removeItem(KEY_STORAGE);
  $('who').hidden = true;
  $('nav').hidden = true;
  $('login-key').value = '';
  setStatus('Signed out.');
  location.hash = '';
  route();
}

function init() {
  const ctx = { api: () => state.api, role: () => (state.who ? state.who.role : ''), setStatus };
  state.screens.search = initSearch(ctx);
  state.screens.ingest = initIngest(ctx);
  state.screens.stats = initStats(ctx);
  state.screens.audit = initAudit(ctx);
  state.screens.privacy = initPrivacy(ctx);
  state.screens.people = initPeople(ctx);
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
