// The sign-in page: type the one-time sign-in code from `kpnode dashboard`,
// or open the link it prints. The code buys this browser a session; the
// node's API token never comes to the browser.

import * as api from '../api.js';
import { el, fill, errorBox } from '../dom.js';

export async function signinPage(view, ctx) {
  const input = el('input', { type: 'password', id: 'code', name: 'code', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = el('div', { id: 'signin-status', 'aria-live': 'polite' });
  if (ctx.app.signInMessage) status.append(errorBox({ message: ctx.app.signInMessage }, 'Not signed in. '));
  const form = el('form', { class: 'signin', on: { submit: (e) => { e.preventDefault(); submit(input.value.trim(), status, ctx); } } },
    el('h1', {}, 'Sign in to this node'),
    el('p', {}, 'The dashboard shows and sends this node\'s records. To use it, sign in with a one-time sign-in code.'),
    el('div', { class: 'field' },
      el('label', { for: 'code' }, 'Sign-in code'),
      input,
      el('p', { class: 'hint' }, 'Your administrator gets a code (it works once, for 5 minutes) by running "kpnode dashboard" on the node\'s computer; "kpnode dashboard --open" signs this computer\'s browser in directly.')),
    el('button', { type: 'submit', class: 'primary', id: 'signin-button' }, 'Sign in'),
    status);
  fill(view, form);
  input.focus();
}

async function submit(code, status, ctx) {
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
