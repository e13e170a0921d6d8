// form.js: controls for the record forms, each tied to the JSON path of
// its field (data-field) so that the node's field errors land next to it.

import * as api from '../api.js';
import { el, fill, field, errorBox, okBox, select } from '../dom.js';
import { TypeLabel } from '../format.js';
import { showFieldErrors, clearFieldErrors } from './common.js';

/** labelled is a field's label, with a visible "(required)" when the
 * control is required (attrs.required). */
function labelled(label, attrs) {
  return attrs.required ? [label, ' ', el('span', { class: 'required' }, '(required)')] : label;
}

/** input is a labelled text input for the field at path; attrs.required
 * marks it required, visibly and for assistive technology. */
export function input(path, label, attrs = {}, hint = '') {
  return field(labelled(label, attrs), el('input', { type: 'text', name: path, dataset: { field: path }, ...attrs }), hint);
}

/** textarea is a labelled multi-line input for the field at path. */
export function textarea(path, label, attrs = {}, hint = '') {
  return field(labelled(label, attrs), el('textarea', { name: path, rows: 3, dataset: { field: path }, ...attrs }), hint);
}

/** choice is a labelled select for the field at path. */
export function choice(path, label, options, current = '', hint = '') {
  return field(label, select({ name: path, dataset: { field: path } }, options, current), hint);
}

/** checks is a group of checkboxes for a list field at path. */
export function checks(path, legend, options, required = false) {
  const id = 'err-' + path.replace(/[^a-z0-9]+/gi, '-');
  return el('fieldset', { class: 'field checks', dataset: { field: path }, 'aria-describedby': id },
    el('legend', {}, labelled(legend, { required })),
    options.map(([v, t]) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name: path, value: v }), ' ' + t)),
    el('p', { class: 'field-error', id, hidden: true }));
}

/** participantInput is a labelled input for a participant code, with the
 * built-in participants to choose from (datalist PARTICIPANTS_LIST, made by
 * participantList). What is typed is sent as typed, upper-cased: never cut. */
export function participantInput(path, label, attrs = {}, hint = 'Type the code or the name and choose from the list.') {
  return input(path, label, { list: PARTICIPANTS_LIST, autocomplete: 'off', class: 'code-input', ...attrs }, hint);
}

const PARTICIPANTS_LIST = 'participants-list';

/** participantList is the datalist of every participant listed today (the
 * participant list as data: GET /api/participants), for participantInput;
 * a suspended or removed one says so. */
export async function participantList(ctx) {
  const ps = ((await api.get('/api/participants', { signal: ctx.signal })) || []).filter((p) => p.status !== 'not_joined');
  return el('datalist', { id: PARTICIPANTS_LIST }, ps.map((p) => el('option', { value: p.code },
    p.code + ' · ' + p.name + (p.status && p.status !== 'active' ? ' (' + p.status + ')' : ''))));
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

/** publish checks the record built by build() and the recipients ticked
 * in one pass, lists every problem at the top of the form (focus moves
 * there) and marks each field; only a record without problems is sent to
 * the recipients. out shows the outcome. */
export async function publish(type, form, to, build, out, ctx) {
  clearFieldErrors(form);
  fill(out);
  const audience = to.value();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const record = await build(); // may upload files first (attachments.js)
    const problems = [];
    if (audience.length === 0) problems.push({ field: 'to', reason: 'choose at least one partner to send it to' });
    try {
      await api.post('/api/records/' + api.path(type) + '/check', record, { signal: ctx.signal });
    } catch (e) {
      if (e.code !== 'invalid_record') throw e;
      problems.push(...e.fields);
    }
    if (problems.length) {
      showFieldErrors(form, problems);
      return null;
    }
    fill(out, el('p', { class: 'muted' }, 'Sending…'));
    const p = await api.post('/api/records/' + api.path(type), { to: audience, record }, { signal: ctx.signal });
    fill(out, okBox(TypeLabel(type) + ' published as entry #' + p.seq + ' and sent to ' + p.audience.join(', ') + '. ',
      el('a', { href: '#/records/' + api.path(ctx.app.status ? ctx.app.status.participant : '', p.seq) }, 'Open it')));
    return p;
  } catch (e) {
    if (e.name === 'AbortError') return null;
    if (e.code === 'invalid_record' && e.fields.length) showFieldErrors(form, e.fields);
    else fill(out, errorBox(e, 'Not sent. '));
    return null;
  } finally {
    button.disabled = false;
  }
}
