// The sign-in page: paste the node's API token, or open a one-time link
// from `kpnode dashboard`.

import * as api from '../api.js';
import { el, fill, errorBox } from '../dom.js';

export async function signinPage(view, ctx) {
  const input = el('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = el('div', { id: 'signin-status', 'aria-live': 'polite' });
  if (ctx.app.signInMessage) status.append(errorBox({ message: ctx.app.signInMessage }, 'Not signed in. '));
  const form = el('form', { class: 'signin', on: { submit: (e) => { e.preventDefault(); submit(input.value.trim(), status, ctx); } } },
    el('h1', {}, 'Sign in to this node'),
    el('p', {}, 'The dashboard shows and sends this node\'s records. To use it, sign in with the node\'s access token.'),
    el('div', { class: 'field' },
      el('label', { for: 'token' }, 'Access token'),
      input,
      el('p', { class: 'hint' }, 'Your administrator can give you a sign-in link (it works once, for 5 minutes) by running "kpnode dashboard" on the node\'s computer, or the token from the file api.token in the node\'s home folder.')),
    el('button', { type: 'submit', class: 'primary', id: 'signin-button' }, 'Sign in'),
    status);
  fill(view, form);
  input.focus();
}

async function submit(tok, status, ctx) {
  if (!tok) {
    fill(status, errorBox({ message: 'Paste the access token first.' }, ''));
    return;
  }
  fill(status, el('p', { class: 'muted' }, 'Checking…'));
  try {
    await api.request('GET', '/api/status', { auth: false, headers: { Authorization: 'Bearer ' + tok } });
  } catch (e) {
    const msg = e.status === 401 ? 'That token is not right. Check that you copied all of it, without spaces.' : e.message;
    fill(status, errorBox({ message: msg }, 'Not signed in. '));
    return;
  }
  api.setToken(tok);
  ctx.signedIn();
}
