// attachments.js: the files of records (docs/protocol.md §6.5): a file
// field with drag and drop for the notice form and the certificates import
// (import.js), and the files panel of a
// record page (thumbnails for images, a download for anything else).

import * as api from '../api.js';
import { el, fill } from '../dom.js';

const MAX_FILES = 20;
const MAX_SIZE = 64 << 20;
const THUMB_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** filesField is a file input with a drop zone; files() returns the files
 * chosen, in order, without duplicates by name. opts.hint replaces the
 * notice form's hint under it. With opts.folders (the import) a folder
 * may be chosen or dropped too, and items() returns each file with where
 * it lies in the folder ({file, path}; path '' when the browser gives
 * only its name): files of one name in different folders are all kept. */
export function filesField(id, opts = {}) {
  const chosen = []; // {file, path}
  const listNode = el('ul', { class: 'file-list', id: id + '-list' });
  const input = el('input', { type: 'file', id, multiple: true, dataset: { field: 'attachments' } });
  const redraw = () => fill(listNode, chosen.map((it, i) => el('li', {},
    (it.path || it.file.name) + ' (' + sizeText(it.file.size) + ') ',
    el('button', { type: 'button', class: 'link', 'aria-label': 'Remove ' + (it.path || it.file.name), on: { click: () => { chosen.splice(i, 1); redraw(); } } }, 'Remove'))));
  const same = opts.folders
    ? (a, b) => a.path === b.path && a.file.name === b.file.name && a.file.size === b.file.size && a.file.lastModified === b.file.lastModified
    : (a, b) => a.file.name === b.file.name;
  const add = (items) => {
    for (const it of items) if (!chosen.some((c) => same(c, it))) chosen.push(it);
    redraw();
  };
  const located = (files) => Array.from(files, (f) => ({ file: f, path: opts.folders ? f.webkitRelativePath || '' : '' }));
  input.addEventListener('change', () => { add(located(input.files)); input.value = ''; });
  const folder = opts.folders ? el('input', { type: 'file', id: id + '-folder', multiple: true }) : null;
  if (folder) {
    folder.setAttribute('webkitdirectory', '');
    folder.addEventListener('change', () => { add(located(folder.files)); folder.value = ''; });
  }
  const zone = el('div', { class: 'drop-zone', id: id + '-zone', on: {
    dragover: (e) => { e.preventDefault(); zone.classList.add('over'); },
    dragleave: () => zone.classList.remove('over'),
    drop: (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      if (!opts.folders) return add(located(e.dataTransfer.files));
      dropped(e.dataTransfer).then(add, (err) => { zone.querySelector('.field-error-drop').textContent = 'Could not read the files dropped: ' + err.message; });
    },
  } }, el('p', {}, opts.folders ? 'Drop the files, or the folder that holds the table and its files, here; or choose them: ' : 'Drop photos or scans here, or choose them: '), input,
  folder ? el('label', { for: folder.id, class: 'folder-choice' }, ' or the folder: ') : null, folder,
  el('p', { class: 'field-error-drop', role: 'alert' }), listNode);
  return {
    node: el('div', { class: 'field', dataset: { for: 'attachments' } },
      el('label', { for: id }, 'Files (optional)'), zone,
      el('p', { class: 'hint' }, opts.hint || 'Up to ' + MAX_FILES + ' files of at most 64 MiB each: photos of the shipment, scans of certificates. Only the partners you send the notice to can open them.'),
      el('p', { class: 'field-error', hidden: true })),
    files: () => chosen.map((it) => it.file),
    items: () => chosen.slice(),
  };
}

/** dropped returns the files of a drop, each with its path in the folders
 * dropped (a folder is read whole; a file dropped alone has no path). */
async function dropped(dt) {
  const entries = Array.from(dt.items || [], (it) => (it.webkitGetAsEntry ? it.webkitGetAsEntry() : null)).filter(Boolean);
  if (!entries.some((e) => e.isDirectory)) return Array.from(dt.files, (f) => ({ file: f, path: f.webkitRelativePath || '' }));
  const out = [];
  for (const e of entries) await walk(e, out);
  return out;
}

async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((ok, ko) => entry.file(ok, ko));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((ok, ko) => reader.readEntries(ok, ko));
    if (!batch.length) return;
    for (const e of batch) await walk(e, out);
  }
}

/** uploadFiles seals each file through the node and returns the members
 * that name them in a record. progress, if given, is called with the
 * bytes sealed and the bytes of all the files, before and after each. */
export async function uploadFiles(files, ctx, progress) {
  if (files.length > MAX_FILES) throw new Error('At most ' + MAX_FILES + ' files can go with one record.');
  const out = [];
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  for (const f of files) {
    if (f.size > MAX_SIZE) throw new Error(f.name + ' is larger than 64 MiB.');
    if (progress) progress(done, total);
    out.push(await api.request('POST', '/api/attachments' + api.query({ name: f.name, media_type: mediaType(f) }),
      { body: f, headers: { 'Content-Type': 'application/octet-stream' }, signal: ctx.signal }));
    done += f.size;
  }
  if (progress) progress(done, total);
  return out;
}

/** placeholderFiles are the members a dry run names files by, without
 * uploading them: name, media type and size, with zero hashes. */
export function placeholderFiles(files) {
  const zero = '0'.repeat(64);
  return files.map((f) => ({ name: f.name, media_type: mediaType(f), size: f.size, sha256: zero, blob: zero, key: zero }));
}

function mediaType(f) {
  return (f.type || 'application/octet-stream').toLowerCase().split(';')[0].trim();
}

/** filesPanel lists the files of a record: for each file held here a
 * thumbnail (images) and a download; for a file still to fetch, what is
 * missing and from whom, re-read every few seconds while the page shows
 * it, and a button to fetch it now. A file of a batch item carries the
 * item's index (from 0) in f.item: items may each have a file of one
 * name, so it is addressed by item as well as by name. */
export function filesPanel(v, ctx) {
  const files = (v.record && v.record.attachments) || [];
  if (files.length === 0) return null;
  const url = (f) => '/api/records/' + api.path(v.feed, v.seq) + '/attachments/' + api.path(f.name) +
    (f.item === undefined ? '' : '?item=' + f.item);
  const items = new Map(files.map((f) => [fileKey(f), el('li', { dataset: { file: f.name } }, fileLine(f, url(f), null))]));
  const panel = el('section', { class: 'panel', id: 'record-files' }, el('h2', {}, 'Files'),
    el('ul', { class: 'files' }, [...items.values()]));
  watchFiles(files, items, url, '/api/records/' + api.path(v.feed, v.seq) + '/attachments', ctx);
  return panel;
}

/** fileKey names a file, or a file's state, within its record. */
function fileKey(f) {
  return f.item === undefined ? f.name : f.item + '/' + f.name;
}

const FILES_POLL_MS = 2000;

/** watchFiles reads the files' states and redraws each line whose state
 * changed, again every FILES_POLL_MS while a file is missing and the
 * page is shown. */
async function watchFiles(files, items, url, statesPath, ctx) {
  const shown = new Map();
  const fetching = new Set();
  const failed = new Map();
  const byKey = new Map(files.map((f) => [fileKey(f), f]));
  const redraw = (st) => {
    const k = fileKey(st);
    const f = byKey.get(k);
    const li = items.get(k);
    if (f && li) fill(li, fileLine(f, url(f), st, fetching.has(k), failed.get(k), () => fetchNow(f, st)));
  };
  const fetchNow = async (f, st) => {
    const k = fileKey(f);
    fetching.add(k);
    failed.delete(k);
    redraw(st);
    try { await drain(url(f), ctx.signal); } catch (e) { if (e.name === 'AbortError') return; failed.set(k, e); }
    fetching.delete(k);
    shown.delete(k);
    redraw(st);
  };
  for (;;) {
    let states;
    try { states = await api.get(statesPath, { signal: ctx.signal }); } catch (e) { if (e.name === 'AbortError') return; states = null; }
    for (const st of states || []) {
      const key = JSON.stringify(st);
      if (shown.get(fileKey(st)) !== key && !fetching.has(fileKey(st))) { shown.set(fileKey(st), key); redraw(st); }
    }
    if (states && states.every((st) => st.held)) return;
    await new Promise((r) => setTimeout(r, FILES_POLL_MS));
    if (ctx.signal.aborted || !items.values().next().value.isConnected) return;
  }
}

/** drain fetches a file through the node, which fetches it from partners
 * first, and discards the bytes: the node then holds it. */
async function drain(path, signal) {
  const resp = await fetch(path, { cache: 'no-store', credentials: 'same-origin', signal });
  if (!resp.ok) {
    let msg = 'The node answered ' + resp.status + '.';
    try { msg = (await resp.json()).error.message || msg; } catch { /* not JSON */ }
    throw new Error(msg);
  }
  const r = resp.body.getReader();
  while (!(await r.read()).done) { /* discard */ }
}

/** fileLine is one file's line: a download, with a thumbnail once the
 * file is held, else (once its state st is known) what is missing and
 * from whom. */
function fileLine(f, href, st, fetching, err, fetchNow) {
  const held = st !== null && st.held;
  const missing = st !== null && !st.held;
  return [
    held && THUMB_TYPES.includes(f.media_type)
      ? el('a', { href, target: '_blank', rel: 'noopener' }, el('img', { class: 'thumb', src: href, alt: f.name, loading: 'lazy' }))
      : null,
    el('a', { href, download: f.name, class: 'file-download' }, 'Download ' + f.name),
    el('span', { class: 'muted' }, ' ' + f.media_type + ', ' + sizeText(f.size)),
    missing ? el('span', { class: 'file-state', role: 'status' }, missingText(st, fetching)) : null,
    !missing || fetching ? null : el('button', { type: 'button', class: 'file-fetch', on: { click: fetchNow } }, 'Fetch now'),
    err ? el('span', { class: 'field-error', role: 'alert' }, 'Not fetched: ' + err.message) : null,
  ];
}

/** missingText says of a file not held what is missing, from whom, and
 * what the node does about it. */
function missingText(st, fetching) {
  const from = st.from.length ? 'from ' + st.from.join(', ') : null;
  if (fetching) return 'Fetching ' + (from || 'from partners') + '…';
  if (!from) {
    return st.eager
      ? 'Still to fetch: no partner is connected to fetch it from; the node retries every minute.'
      : 'Not fetched yet: no partner is connected to fetch it from, so it cannot be fetched now.';
  }
  return st.eager
    ? 'Still to fetch ' + from + ': on its way; the node retries every minute until it has it.'
    : 'Not fetched yet (larger than this node fetches without being asked): fetched ' + from + ' when you open it.';
}

function sizeText(n) {
  if (n < 1024) return n + ' bytes';
  if (n < 1 << 20) return (n / 1024).toFixed(0) + ' KiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}
