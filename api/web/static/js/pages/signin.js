// The sign-in page: a member of staff signs in with their user name and
// password (kpnode users add), or with a one-time sign-in code from
// `kpnode dashboard`. Either buys this browser a session; no API token
// ever comes to the browser.

import * as api from '../api.js';
import { el, fill, errorBox } from '../dom.js';

export async function signinPage(view, ctx) {
  const status = el('div', { id: 'signin-status', 'aria-live': 'polite' });
  if (ctx.app.signInMessage) status.append(errorBox({ message: ctx.app.signInMessage }, 'Not signed in. '));
  const user = el('input', { type: 'text', id: 'signin-user', name: 'user', autocomplete: 'username', spellcheck: 'false', required: true });
  const password = el('input', { type: 'password', id: 'signin-password', name: 'password', autocomplete: 'current-password', required: true });
  const passwordForm = el('form', { class: 'signin', id: 'password-signin', on: { submit: (e) => {
    e.preventDefault();
    submitPassword(user.value.trim(), password.value, status, ctx);
  } } },
  el('h1', {}, 'Sign in to this node'),
  el('p', {}, 'The dashboard shows and sends this node\'s records. Sign in with the user name and password your administrator gave you.'),
  el('div', { class: 'field' }, el('label', { for: 'signin-user' }, 'User name'), user),
  el('div', { class: 'field' }, el('label', { for: 'signin-password' }, 'Password'), password),
  el('button', { type: 'submit', class: 'primary', id: 'password-signin-button' }, 'Sign in'),
  status);
  const code = el('input', { type: 'password', id: 'code', name: 'code', autocomplete: 'off', spellcheck: 'false', required: true });
  const codeForm = el('form', { class: 'signin', id: 'code-signin', on: { submit: (e) => { e.preventDefault(); submitCode(code.value.trim(), status, ctx); } } },
    el('h2', {}, 'Or sign in with a one-time code'),
    el('div', { class: 'field' },
      el('label', { for: 'code' }, 'Sign-in code'),
      code,
      el('p', { class: 'hint' }, 'An administrator on the node\'s computer gets a code (it works once, for 5 minutes) by running "kpnode dashboard"; "kpnode dashboard --open" signs that computer\'s browser in directly.')),
    el('button', { type: 'submit', id: 'signin-button' }, 'Sign in with the code'));
  fill(view, passwordForm, codeForm);
  user.focus();
}

async function submitPassword(user, password, status, ctx) {
  if (!user || !password) {
    fill(status, errorBox({ message: 'Type your user name and password first.' }, ''));
    return;
  }
  fill(status, el('p', { class: 'muted' }, 'Checking…'));
  try {
    await api.signInWithPassword(user, password);
  } catch (e) {
    const msg = e.status === 401 ? 'That user name or password is not right.' : e.message;
    fill(status, errorBox({ message: msg }, 'Not signed in. '));
    return;
  }
  ctx.signedIn();
}

async function submitCode(code, status, ctx) {
  if (!code) {
    fill(status, errorBox({ message: 'Type the sign-in code first.' }, ''));
    return;
  }
  fill(status, el('p', { class: 'muted' }, 'Checking…'));
  try {
    await api.signInWithCode(code);
  } catch (e) {
    const msg = e.status === 401 ? 'That code is not right, was already used or has expired. Ask your administrator for a new one.' : e.message;
    fill(status, errorBox({ message: msg }, 'Not signed in. '));
    return;
  }
  ctx.signedIn();
}
