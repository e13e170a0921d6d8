// common.js: pieces several pages share: the node's identity, a recipient
// picker, record views, and showing a failed request's field errors next
// to the fields.

import * as api from '../api.js';
import { el, fill, errorBox, humanize, table, row } from '../dom.js';

/** status returns the node's status, fetched once per session. */
export async function status(ctx) {
  if (!ctx.app.status) ctx.app.status = await api.get('/api/status', { signal: ctx.signal });
  return ctx.app.status;
}

/** recipients builds the "send to" checkboxes for the pinned partners.
 * value() returns the codes ticked, ["all"] when "every partner" is. */
export async function recipients(ctx, name = 'to') {
  const partners = (await api.get('/api/partners', { signal: ctx.signal })) || [];
  const box = el('fieldset', { class: 'recipients', dataset: { field: 'to' } }, el('legend', {}, 'Send to'));
  if (partners.length === 0) {
    box.append(el('p', { class: 'hint' }, 'This node has no partners yet, so there is no one to send to. Your administrator adds partners.'));
    return { node: box, value: () => [], partners };
  }
  const all = el('input', { type: 'checkbox', name, value: 'all', id: name + '-all' });
  const each = partners.map((p) => el('input', { type: 'checkbox', name, value: p.code, id: name + '-' + p.code }));
  all.addEventListener('change', () => each.forEach((c) => { c.checked = false; c.disabled = all.checked; }));
  box.append(el('label', { class: 'check', for: all.id }, all, ' Every partner'),
    ...each.map((c, i) => el('label', { class: 'check', for: c.id }, c, ' ' + partners[i].code + ' · ' + partners[i].name)));
  return {
    node: box,
    partners,
    value: () => all.checked ? ['all'] : each.filter((c) => c.checked).map((c) => c.value),
  };
}

/** showFieldErrors puts each field error of an invalid_record answer next
 * to the control whose data-field names it (or its nearest parent path),
 * and lists them all in summary. */
export function showFieldErrors(form, err, summary) {
  clearFieldErrors(form);
  const items = err.fields.map((f) => {
    const place = fieldPlace(form, f.field);
    if (place) {
      place.classList.add('has-error');
      const p = place.querySelector('.field-error');
      if (p) {
        p.hidden = false;
        p.textContent = (p.textContent ? p.textContent + '; ' : '') + f.reason;
      }
    }
    return el('li', {}, el('strong', {}, f.field ? humanize(f.field) + ': ' : ''), f.reason);
  });
  fill(summary, errorBox(err, 'Not sent: please correct the fields marked in red. '), el('ul', { class: 'field-errors' }, items));
}

/** clearFieldErrors removes the marks of showFieldErrors. */
export function clearFieldErrors(form) {
  for (const p of form.querySelectorAll('.has-error')) p.classList.remove('has-error');
  for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
}

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
