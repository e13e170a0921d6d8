// common.js: pieces several pages share: the node's identity, a recipient
// picker, record views, and showing a failed request's field errors next
// to the fields.

import * as api from '../api.js';
import { el, fill, errorBox, humanize, table, row } from '../dom.js';

/** roleNeeded tells a signed-in user that their role may not do what
 * (the node would refuse it: 403 role_required), and who may. */
export function roleNeeded(role, what) {
  const me = api.whoami() || { actor: 'you', role: 'no' };
  return el('p', { class: 'role-needed', dataset: { role } },
    'Only a ' + role + (role === 'administrator' ? '' : ' or an administrator') + ' can ' + what + '. You are signed in as ' + me.actor + ', a ' + me.role + '.');
}

/** status returns the node's status, fetched once per session. */
export async function status(ctx) {
  if (!ctx.app.status) ctx.app.status = await api.get('/api/status', { signal: ctx.signal });
  return ctx.app.status;
}

/** recipients builds the "send to" checkboxes for the pinned partners.
 * value() returns the codes ticked, ["all"] when "every partner" is. */
export async function recipients(ctx, name = 'to') {
  const partners = (await api.get('/api/partners', { signal: ctx.signal })) || [];
  const box = el('fieldset', { class: 'recipients field', dataset: { field: 'to' } }, el('legend', {}, 'Send to ', el('span', { class: 'required' }, '(required)')));
  if (partners.length === 0) {
    box.append(el('p', { class: 'hint' }, 'This node has no partners yet, so there is no one to send to. Your administrator adds partners.'));
    return { node: box, value: () => [], partners };
  }
  const all = el('input', { type: 'checkbox', name, value: 'all', id: name + '-all' });
  const each = partners.map((p) => el('input', { type: 'checkbox', name, value: p.code, id: name + '-' + p.code }));
  all.addEventListener('change', () => each.forEach((c) => { c.checked = false; c.disabled = all.checked; }));
  box.append(el('label', { class: 'check', for: all.id }, all, ' Every partner'),
    ...each.map((c, i) => el('label', { class: 'check', for: c.id }, c, ' ' + partners[i].code + ' · ' + partners[i].name)),
    el('p', { class: 'field-error', hidden: true }));
  return {
    node: box,
    partners,
    value: () => all.checked ? ['all'] : each.filter((c) => c.checked).map((c) => c.value),
  };
}

/** showFieldErrors marks each field of fields ({field, reason}: a
 * record's JSON path, or "to" for the recipients) at the control whose
 * data-field names it (or its nearest parent path): red, aria-invalid and
 * the reason tied to it by aria-describedby. It lists them all, by the
 * fields' labels, in a summary at the top of the form and moves the focus
 * there. */
export function showFieldErrors(form, fields) {
  clearFieldErrors(form);
  const items = fields.map((f) => {
    const place = fieldPlace(form, f.field);
    const name = place ? labelOf(place) : humanize(f.field || 'record');
    if (place) markField(place, f.reason);
    const control = place && place.querySelector('input, select, textarea');
    return el('li', {}, control
      ? el('a', { href: '#', on: { click: (e) => { e.preventDefault(); control.focus(); } } }, name)
      : el('strong', {}, name), ': ' + f.reason);
  });
  const summary = el('div', { class: 'error-box form-summary', role: 'alert', tabindex: -1, id: form.id + '-problems' },
    el('h2', {}, 'Not sent: ' + (fields.length === 1 ? 'one thing to correct' : fields.length + ' things to correct')),
    el('ul', { class: 'field-errors' }, items));
  form.prepend(summary);
  summary.focus();
}

/** markField shows reason at a field: its error paragraph, and its
 * control(s) marked invalid and described by the reason. */
function markField(place, reason) {
  place.classList.add('has-error');
  const p = place.querySelector('.field-error');
  if (!p) return;
  if (!p.id) p.id = 'err-' + Math.random().toString(36).slice(2, 9);
  p.hidden = false;
  p.textContent = (p.textContent ? p.textContent + '; ' : '') + reason;
  for (const c of place.querySelectorAll('input, select, textarea')) {
    c.setAttribute('aria-invalid', 'true');
    const ids = new Set((c.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
    ids.add(p.id);
    c.setAttribute('aria-describedby', [...ids].join(' '));
  }
}

/** labelOf is the label a person sees for a field. */
function labelOf(place) {
  const l = place.querySelector(':scope > label, :scope > legend') || place.querySelector('label, legend');
  return l ? l.textContent.replace(/\s*\((required|optional)\)\s*$/, '').trim() : '';
}

/** clearFieldErrors removes the marks of showFieldErrors. */
export function clearFieldErrors(form) {
  for (const s of form.querySelectorAll('.form-summary')) s.remove();
  for (const p of form.querySelectorAll('.has-error')) p.classList.remove('has-error');
  for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/** fieldPlace is the field (or fieldset) of the control whose data-field
 * is path, or of its nearest parent path. */
function fieldPlace(form, path) {
  let p = path;
  while (p) {
    const c = form.querySelector('[data-field="' + CSS.escape(p) + '"]');
    if (c) return c.closest('.field, fieldset') || c;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

/** recordView shows a record body as labelled values, nested objects as
 * nested lists and lists of flat objects (lines, parties) as tables. */
export function recordView(v) {
  if (v === null || v === undefined) return el('span', { class: 'muted' }, '—');
  if (Array.isArray(v)) return arrayView(v);
  if (typeof v === 'object') {
    return el('dl', { class: 'pairs record' }, Object.entries(v).filter(([k]) => k !== 'version').map(([k, x]) =>
      [el('dt', {}, humanize(k)), el('dd', {}, recordView(x))]));
  }
  return el('span', { class: 'value' }, scalar(v));
}

/** scalar shows a value in words: yes/no, and enumerations such as
 * "inspect_shipments" with spaces. */
function scalar(v) {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const s = String(v);
  return /^[a-z]+(_[a-z]+)+$/.test(s) ? s.replace(/_/g, ' ') : s;
}

function arrayView(a) {
  if (a.length === 0) return el('span', { class: 'muted' }, 'none');
  if (a.every((x) => x === null || typeof x !== 'object')) return a.map(scalar).join(', ');
  const flat = a.every((x) => x && typeof x === 'object' && !Array.isArray(x) && Object.values(x).every((y) => y === null || typeof y !== 'object'));
  if (flat) {
    const keys = [...new Set(a.flatMap((x) => Object.keys(x)))];
    return table(keys.map(humanize), a.map((x) => row(keys.map((k) => x[k] === undefined ? '' : scalar(x[k])))));
  }
  return el('ol', { class: 'nested' }, a.map((x) => el('li', {}, recordView(x))));
}

/** rawJSON is a closed box holding the record exactly as stored. */
export function rawJSON(v) {
  return el('details', { class: 'raw' }, el('summary', {}, 'Show the record as JSON'), el('pre', {}, JSON.stringify(v, null, 2)));
}
