// form.js: controls for the record forms, each tied to the JSON path of
// its field (data-field) so that the node's field errors land next to it.

import * as api from '../api.js';
import { el, fill, field, errorBox, okBox, select } from '../dom.js';
import { TypeLabel } from '../format.js';
import { showFieldErrors, clearFieldErrors } from './common.js';

/** input is a labelled text input for the field at path. */
export function input(path, label, attrs = {}, hint = '') {
  return field(label, el('input', { type: 'text', name: path, dataset: { field: path }, ...attrs }), hint);
}

/** textarea is a labelled multi-line input for the field at path. */
export function textarea(path, label, attrs = {}, hint = '') {
  return field(label, el('textarea', { name: path, rows: 3, dataset: { field: path }, ...attrs }), hint);
}

/** choice is a labelled select for the field at path. */
export function choice(path, label, options, current = '', hint = '') {
  return field(label, select({ name: path, dataset: { field: path } }, options, current), hint);
}

/** checks is a group of checkboxes for a list field at path. */
export function checks(path, legend, options) {
  return el('fieldset', { class: 'field checks', dataset: { field: path } },
    el('legend', {}, legend),
    options.map(([v, t]) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name: path, value: v }), ' ' + t)),
    el('p', { class: 'field-error', hidden: true }));
}

/** text returns the trimmed value of the control named path in form. */
export function text(form, path) {
  const c = form.querySelector('[name="' + CSS.escape(path) + '"]');
  return c ? c.value.trim() : '';
}

/** checked returns the values ticked in the checkbox group path. */
export function checked(form, path) {
  return [...form.querySelectorAll('input[type=checkbox][name="' + CSS.escape(path) + '"]:checked')].map((c) => c.value);
}

/** lines splits a textarea into its non-empty lines. */
export function lines(s) {
  return s.split('\n').map((x) => x.trim()).filter(Boolean);
}

/** list splits "CI, CD" into ["CI", "CD"]. */
export function list(s) {
  return s.split(/[\s,;]+/).map((x) => x.trim().toUpperCase()).filter(Boolean);
}

/** integer returns s as a number when it is one, else s itself (so the
 * node names the field) or undefined when empty. */
export function integer(s) {
  if (s === '') return undefined;
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** compact drops the members of o that are undefined, '' or empty lists. */
export function compact(o) {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete o[k];
  }
  return o;
}

/** today is today's date as YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

/** publish sends the record built by build() to the recipients ticked and
 * shows the outcome in out: the entry, or the field errors. */
export async function publish(type, form, to, build, out, ctx) {
  clearFieldErrors(form);
  const audience = to.value();
  if (audience.length === 0) {
    fill(out, errorBox({ message: 'Choose at least one partner to send it to.' }, 'Not sent. '));
    return null;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  fill(out, el('p', { class: 'muted' }, 'Sending…'));
  try {
    const p = await api.post('/api/records/' + api.path(type), { to: audience, record: build() }, { signal: ctx.signal });
    fill(out, okBox(TypeLabel(type) + ' published as entry #' + p.seq + ' and sent to ' + p.audience.join(', ') + '. ',
      el('a', { href: '#/records/' + api.path(ctx.app.status ? ctx.app.status.participant : '', p.seq) }, 'Open it')));
    return p;
  } catch (e) {
    if (e.code === 'invalid_record' && e.fields.length) showFieldErrors(form, e, out);
    else fill(out, errorBox(e, 'Not sent. '));
    return null;
  } finally {
    button.disabled = false;
  }
}
