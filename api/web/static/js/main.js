// main.js: the dashboard's shell. Hash routes (#/records, #/findings/ID…)
// pick a page; the event stream feeds the page shown and the activity list;
// signing in and out happens here.

import * as api from './api.js';
import { EventStream } from './events.js';
import { el, fill, errorBox } from './dom.js';
import { signinPage } from './pages/signin.js';
import { overviewPage } from './pages/overview.js';
import { recordsPage, recordPage } from './pages/records.js';
import { feedsPage, feedPage } from './pages/feeds.js';
import { findingsPage, findingPage } from './pages/findings.js';
import { noticePage } from './pages/notice.js';
import { queryPage } from './pages/query.js';
import { importPage } from './pages/import.js';
import { certificatePage } from './pages/certificate.js';
import { chartsPage } from './pages/charts.js';
import { awaitingPage } from './pages/inbox.js';
import { referencePage } from './pages/reference.js';
import { auditPage } from './pages/audit.js';
import { calendarPage } from './pages/calendar.js';
import { reportPage } from './pages/report.js';
import { participantsPage } from './pages/participants.js';

const ROUTES = [
  { re: /^\/?$/, nav: 'overview', page: overviewPage, title: 'Overview' },
  { re: /^\/records$/, nav: 'records', page: recordsPage, title: 'Records' },
  { re: /^\/records\/([^/]+)\/(\d+)$/, nav: 'records', page: recordPage, title: 'Record' },
  { re: /^\/feeds$/, nav: 'feeds', page: feedsPage, title: 'Feeds' },
  { re: /^\/feeds\/([^/]+)$/, nav: 'feeds', page: feedPage, title: 'Feed' },
  { re: /^\/findings$/, nav: 'findings', page: findingsPage, title: 'Findings' },
  { re: /^\/findings\/(.+)$/, nav: 'findings', page: findingPage, title: 'Finding' },
  { re: /^\/notice$/, nav: 'notice', page: noticePage, title: 'Send a notice' },
  { re: /^\/query$/, nav: 'query', page: queryPage, title: 'Ask a question' },
  { re: /^\/import$/, nav: 'import', page: importPage, title: 'Import a file' },
  { re: /^\/certificate$/, nav: 'import', page: certificatePage, title: 'Issue a certificate' },
  { re: /^\/reference$/, nav: 'import', page: referencePage, title: 'Record formats' },
  { re: /^\/awaiting$/, nav: 'overview', page: awaitingPage, title: 'Certificates awaiting confirmation' },
  { re: /^\/charts$/, nav: 'charts', page: chartsPage, title: 'Charts' },
  { re: /^\/audit$/, nav: 'audit', page: auditPage, title: 'Audit log' },
  { re: /^\/calendar$/, nav: 'calendar', page: calendarPage, title: 'Submission calendar' },
  { re: /^\/report$/, nav: 'calendar', page: reportPage, title: 'Annual report' },
  { re: /^\/participants$/, nav: 'participants', page: participantsPage, title: 'Participants' },
  { re: /^\/signin$/, nav: '', page: signinPage, title: 'Sign in', public: true },
];

const AFTER_KEY = 'kpnode.after';
const MAX_ACTIVITY = 200;

/** app is the state shared by the pages. */
export const app = {
  status: null, // the latest GET /api/status answer
  activity: [], // recent events, newest first
  stream: null,
  signInMessage: '',
};

const view = document.getElementById('view');
let current = null; // the page shown: { ctrl, listeners, timers }

/** SIGNIN_FAILED is where the node sends a browser whose sign-in form (from
 * kpnode dashboard --open) carried a wrong, used or expired code. */
const SIGNIN_FAILED = '#signin-failed';

async function start() {
  api.whenUnauthorized(() => signOut('Your sign-in has ended (it expired or was revoked). Please sign in again.'));
  document.getElementById('signout').addEventListener('click', () => signOut(''));
  document.getElementById('skip').addEventListener('click', (e) => { e.preventDefault(); view.focus(); });
  window.addEventListener('hashchange', route);
  if (!location.hash.startsWith('#signin=')) await api.checkSession();
  route();
}

async function route() {
  const hash = location.hash || '#/';
  if (hash.startsWith('#signin=')) return linkSignIn(hash.slice('#signin='.length));
  if (hash === SIGNIN_FAILED) {
    app.signInMessage = 'This sign-in link is wrong, was already used or has expired. Ask your administrator for a new one.';
    history.replaceState(null, '', location.pathname + '#/signin');
    return route();
  }
  const [path, qs] = hash.slice(1).split('?');
  const r = ROUTES.find((x) => x.re.test(path));
  if (!api.signedIn() && !(r && r.public)) {
    sessionStorage.setItem(AFTER_KEY, hash);
    location.replace('#/signin');
    return;
  }
  if (api.signedIn()) startSession();
  if (!r) {
    show({ nav: '', title: 'Not found', page: notFound }, [], new URLSearchParams());
    return;
  }
  show({ ...r, path }, path.match(r.re).slice(1).map(decodeURIComponent), new URLSearchParams(qs || ''));
}

async function show(r, args, params) {
  if (current) stopPage(current);
  const page = { ctrl: new AbortController(), listeners: [], timers: [] };
  current = page;
  document.title = r.title + ' · kpnode';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === r.nav);
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  fill(view, el('p', { class: 'muted' }, 'Loading…'));
  const ctx = {
    args, params, app,
    signal: page.ctrl.signal,
    onEvent: (fn) => page.listeners.push(fn),
    every: (ms, fn) => page.timers.push(setInterval(fn, ms)),
    signedIn: afterSignIn,
  };
  // A new page (not new filters on the same one) takes the focus, so that
  // a keyboard or screen-reader user starts reading it, not the menu.
  const moved = shownPath !== null && shownPath !== r.path;
  shownPath = r.path;
  if (moved) view.focus();
  try {
    await r.page(view, ctx);
  } catch (e) {
    if (e.name !== 'AbortError' && current === page) fill(view, errorBox(e));
  }
}

let shownPath = null; // the path of the page shown, to tell a new page from new filters

function stopPage(page) {
  page.ctrl.abort();
  page.timers.forEach(clearInterval);
  page.listeners = [];
}

function notFound(v) {
  fill(v, el('h1', {}, 'Page not found'), el('p', {}, 'There is no such page. '), el('a', { href: '#/' }, 'Go to the overview'));
}

/** startSession shows the navigation and who is signed in, and opens the
 * event stream, once. */
function startSession() {
  document.getElementById('nav').hidden = false;
  document.getElementById('session').hidden = false;
  showWho();
  if (app.stream) return;
  app.stream = new EventStream({
    onEvent: deliver,
    onMissed: () => deliver({ kind: 'missed', fields: {} }),
    onState: setLive,
    onUnauthorized: () => signOut('Your sign-in has ended (it expired or was revoked). Please sign in again.'),
  });
  app.stream.start();
  loadIdentity();
}

/** showWho shows the signed-in name and role, and hides the menu entries
 * the role may not use (the node refuses them anyway). */
function showWho() {
  const me = api.whoami();
  document.getElementById('whoami').textContent = me ? me.actor + ' · ' + me.role : '';
  for (const a of document.querySelectorAll('[data-role]')) a.hidden = !api.can(a.dataset.role);
}

async function loadIdentity() {
  try {
    app.status = await api.get('/api/status');
    const s = app.status;
    document.getElementById('node-name').textContent = s.participant + ' · ' + s.name;
  } catch {
    // the page shown reports errors itself
  }
}

function deliver(ev) {
  if (ev.kind !== 'missed') {
    app.activity.unshift(ev);
    if (app.activity.length > MAX_ACTIVITY) app.activity.length = MAX_ACTIVITY;
  }
  if (current) for (const fn of current.listeners) fn(ev);
}

function setLive(state) {
  const live = document.getElementById('live');
  const text = { live: 'live', retrying: 'reconnecting…', stopped: 'offline' }[state] || state;
  live.textContent = text;
  live.className = 'live live-' + state;
}

/** afterSignIn goes where the user was headed before signing in. */
function afterSignIn() {
  const after = sessionStorage.getItem(AFTER_KEY) || '#/';
  sessionStorage.removeItem(AFTER_KEY);
  app.signInMessage = '';
  if (location.hash === after) route();
  else location.hash = after;
}

function signOut(message) {
  api.signOut();
  if (app.stream) app.stream.stop();
  app.stream = null;
  app.status = null;
  app.activity = [];
  app.signInMessage = message;
  document.getElementById('nav').hidden = true;
  document.getElementById('session').hidden = true;
  document.getElementById('node-name').textContent = '';
  document.getElementById('whoami').textContent = '';
  if (location.hash !== '#/signin') {
    if (message) sessionStorage.setItem(AFTER_KEY, location.hash || '#/');
    location.hash = '#/signin';
  } else {
    route();
  }
}

/** linkSignIn trades the one-time code of a sign-in link for a session. The
 * code leaves the address bar at once. */
async function linkSignIn(code) {
  history.replaceState(null, '', location.pathname + '#/signin');
  fill(view, el('p', { class: 'muted' }, 'Signing you in…'));
  try {
    await api.signInWithCode(code);
  } catch (e) {
    app.signInMessage = e.message;
    route();
    return;
  }
  sessionStorage.setItem(AFTER_KEY, '#/');
  afterSignIn();
}

start();
