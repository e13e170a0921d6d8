// dom.js: building the page from data without ever parsing data as HTML.
// Every text goes in through textContent (via el's string children).

/** el creates an element. attrs: class, text, dataset (object), on
 * (object of listeners), and any other attribute or property. Children are
 * nodes or strings (added as text); null and false are skipped. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear empties an element and fills it with children. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

/** link is an <a> to a dashboard route. */
export function link(href, text, attrs = {}) {
  return el('a', { href, ...attrs }, text);
}

/** section is a titled panel. */
export function section(title, ...children) {
  return el('section', { class: 'panel' }, el('h2', {}, title), ...children);
}

/** table builds a table from column headings and rows of cells. */
export function table(headings, rows, attrs = {}) {
  return el('table', { class: 'data', ...attrs },
    el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
}

/** row builds a <tr> of cells; a cell is a node, a string, or [content, attrs]. */
export function row(cells, attrs = {}) {
  return el('tr', attrs, cells.map((c) => Array.isArray(c) ? el('td', c[1], c[0]) : el('td', {}, c)));
}

/** empty is the message shown where a list has nothing in it. */
export function empty(text, ...more) {
  return el('div', { class: 'empty' }, el('p', {}, text), ...more);
}

/** errorBox shows a failed request (or any error) in the page. */
export function errorBox(err, prefix = 'Something went wrong. ') {
  const msg = String(err.message || err);
  const box = el('div', { class: 'error-box', role: 'alert' },
    prefix ? el('strong', {}, prefix) : null, msg.charAt(0).toUpperCase() + msg.slice(1));
  if (err.code && err.code !== 'error') box.append(el('span', { class: 'code' }, ' (' + err.code + ')'));
  return box;
}

/** notice is a success or information message. */
export function okBox(...children) {
  return el('div', { class: 'ok-box', role: 'status' }, ...children);
}

/** badge is a small coloured label; kind picks the colour. */
export function badge(text, kind) {
  return el('span', { class: 'badge badge-' + kind }, text);
}

/** dl builds a definition list from [term, description] pairs. */
export function dl(pairs, attrs = {}) {
  return el('dl', { class: 'pairs', ...attrs },
    pairs.filter(Boolean).map(([t, d]) => [el('dt', {}, t), el('dd', {}, d)]));
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** when formats an RFC 3339 time for people; '' for none. */
export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return isNaN(d) ? String(t) : dateTime.format(d);
}

const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** day formats an RFC 3339 time as a date. */
export function day(t) {
  if (!t) return '';
  const d = new Date(t);
  return isNaN(d) ? String(t) : dateOnly.format(d);
}

/** ago says how long ago t was: "12 seconds ago", "3 hours ago". */
export function ago(t, now = Date.now()) {
  if (!t) return '';
  return duration(now - new Date(t).getTime()) + ' ago';
}

/** duration formats milliseconds roughly: "45 seconds", "2 h 5 min". */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + (s === 1 ? ' second' : ' seconds');
  const m = Math.floor(s / 60);
  if (m < 60) return m + (m === 1 ? ' minute' : ' minutes');
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h ' + (m % 60) + ' min';
  return Math.floor(h / 24) + ' days';
}

/** number formats a decimal string or number with thousands separators,
 * keeping the decimals a string has ("81904.30" → "81,904.30"). */
export function number(v, digits) {
  const n = Number(v);
  if (v === '' || v === null || v === undefined || isNaN(n)) return v === undefined || v === null ? '' : String(v);
  if (digits === undefined && typeof v === 'string') digits = (v.split('.')[1] || '').length;
  return n.toLocaleString(undefined, digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** plural picks the word for n: plural(2, 'entry', 'entries'). */
export function plural(n, one, many) {
  return n + ' ' + (n === 1 ? one : many);
}

/** humanize turns a JSON key into words: "total_carats" → "Total carats". */
export function humanize(key) {
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** debounce returns fn delayed until calls stop for ms. It is for live
 * refreshes: when one fails, the page keeps what it shows (the header's
 * live indicator says when the node is out of reach). */
export function debounce(fn, ms) {
  let timer = 0;
  const d = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      Promise.resolve().then(() => fn(...args)).catch((e) => {
        if (e.name !== 'AbortError') console.warn('refresh failed:', e.message);
      });
    }, ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

/** option builds an <option>. */
export function option(value, text, selected) {
  return el('option', { value, selected: selected ? true : null }, text);
}

/** select builds a <select> with [value, text] options and the current value. */
export function select(attrs, options, current) {
  return el('select', attrs, options.map(([v, t]) => option(v, t, String(v) === String(current ?? ''))));
}

/** field wraps a form control with its label, a hint and a place for errors. */
export function field(label, control, hint) {
  const id = control.id || ('f-' + Math.random().toString(36).slice(2, 9));
  control.id = id;
  return el('div', { class: 'field', dataset: { for: control.dataset.field || '' } },
    el('label', { for: id }, label),
    control,
    hint ? el('p', { class: 'hint' }, hint) : null,
    el('p', { class: 'field-error', hidden: true }));
}
