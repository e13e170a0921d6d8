// api.js: the one way the dashboard talks to the node. The browser holds a
// session cookie the node set at sign-in (HttpOnly: no script, this one
// included, can read it) and sends it with every request to the node; the
// API token never reaches the browser. A 401 sends the user to sign-in.

/** APIError is a failed request: the node's error code and message, and the
 * bad fields (invalid_record) or rows (invalid_import) when it sent them. */
export class APIError extends Error {
  constructor(status, body) {
    super(body.message || 'The node answered with an error (' + status + ').');
    this.status = status;
    this.code = body.code || 'error';
    this.fields = body.fields || [];
    this.rows = body.rows || [];
  }
}

let onUnauthorized = () => {};

let session = false; // whether the node accepted this browser's session
let me = null; // who the session acts as: GET /api/whoami

/** ROLES ranks the roles: each may do what the ones before it may. */
const ROLES = ['viewer', 'clerk', 'administrator'];

/** whenUnauthorized sets what happens when the node refuses the session. */
export function whenUnauthorized(fn) { onUnauthorized = fn; }

export function signedIn() { return session; }

/** whoami is who the session acts as: { actor, role, user }, or null. */
export function whoami() { return me; }

/** can reports whether the signed-in role may do what role may. The node
 * refuses the rest anyway (403 role_required); the dashboard hides what
 * would be refused. */
export function can(role) {
  return me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(role);
}

/** checkSession asks the node whether this browser's session cookie is
 * still good, and who it acts as. */
export async function checkSession() {
  try {
    me = await request('GET', '/api/whoami', { auth: false });
    session = true;
  } catch {
    me = null;
    session = false;
  }
  return session;
}

/** request sends one API request and returns the decoded JSON answer (or
 * the text for non-JSON answers). It throws an APIError on failure. */
export async function request(method, path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body, signal: opts.signal, cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new APIError(0, { code: 'unreachable',
      message: 'The node did not answer: it may have stopped or be restarting. Try again in a moment; if it stays away, tell your administrator.' });
  }
  const data = await decode(resp);
  if (resp.status === 401 && opts.auth !== false) {
    session = false;
    onUnauthorized();
  }
  if (!resp.ok) {
    throw new APIError(resp.status, (data && data.error) || { message: 'The node answered ' + resp.status + ' ' + resp.statusText + '.' });
  }
  return data;
}

async function decode(resp) {
  const text = await resp.text();
  const type = resp.headers.get('Content-Type') || '';
  if (!type.startsWith('application/json')) return text;
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, json, opts = {}) => request('POST', path, { ...opts, json });

/** path joins URL path segments, escaping each one. */
export function path(...segments) {
  return segments.map((s) => encodeURIComponent(String(s))).join('/');
}

/** query builds "?a=1&b=2" from the non-empty values of obj. */
export function query(obj) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** findingPath is the API path of a finding: its id keeps its slashes. */
export function findingPath(id) {
  return '/api/findings/' + id.split('/').map(encodeURIComponent).join('/');
}

/** signInWithCode trades a one-time sign-in code for a session cookie. */
export async function signInWithCode(code) {
  await request('POST', '/signin', { json: { code }, auth: false });
  await checkSession();
}

/** signInWithPassword trades a user's name and password for a session
 * cookie. */
export async function signInWithPassword(user, password) {
  await request('POST', '/signin', { json: { user, password }, auth: false });
  await checkSession();
}

/** signOut ends this browser's session at the node (best effort: the
 * session ends by itself when idle). */
export async function signOut() {
  const was = session;
  session = false;
  me = null;
  if (!was) return;
  try {
    await request('POST', '/signout', { auth: false });
  } catch {
    // the node is away or the session already ended
  }
}
