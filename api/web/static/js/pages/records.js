// Records: what this node holds, its own and its partners', newest first,
// with filters; and one record in full. Imported files arrive as batch
// entries: with a type filter, their items of that type are listed too.

import * as api from '../api.js';
import { el, fill, section, table, row, empty, errorBox, okBox, dl, when, select, field, debounce, plural } from '../dom.js';
import { TYPES, IMPORTABLE, TypeLabel, typeLabel, summary } from '../format.js';
import { status, recordView, rawJSON } from './common.js';
import { questionPanels, questionLink } from './answers.js';
import { filesPanel } from './attachments.js';

const QUICK = [
  ['', 'Everything'],
  ['certificate', 'Certificates'],
  ['import_confirmation', 'Confirmations'],
  ['trade_statistics', 'Statistics'],
  ['notice', 'Notices'],
  ['anomaly_query', 'Questions'],
];

export async function recordsPage(view, ctx) {
  const q = { type: ctx.params.get('type') || '', feed: ctx.params.get('feed') || '', limit: Number(ctx.params.get('limit')) || 50 };
  const feeds = (await api.get('/api/feeds', { signal: ctx.signal })) || [];
  const list = el('div', { id: 'records-list' });
  const more = el('div', { class: 'more' });
  fill(view, el('h1', {}, 'Records'), filters(q, feeds), list, more);
  let lister = newLister(q, ctx);
  const show = (l) => showPage(l, list, more, ctx, () => l === lister);
  const reload = async () => {
    lister = newLister(q, ctx);
    await show(lister);
  };
  // Listen before the first load: an entry that arrives while the list
  // loads reloads it (and the older load then renders nothing).
  const live = debounce(reload, 300);
  ctx.onEvent((ev) => {
    if (ev.kind === 'entry_received' || ev.kind === 'entry_published' || ev.kind === 'missed') live();
  });
  await show(lister);
}

function filters(q, feeds) {
  const go = (patch) => { location.hash = '#/records' + api.query({ ...q, limit: q.limit === 50 ? '' : q.limit, ...patch }); };
  // Links that filter the list, not ARIA tabs: each loads its own list.
  const tabs = el('nav', { class: 'tabs', 'aria-label': 'Kind of record' }, QUICK.map(([t, label]) =>
    el('a', { href: '#/records' + api.query({ ...q, type: t, limit: '' }), class: t === q.type ? 'tab active' : 'tab', 'aria-current': t === q.type ? 'page' : null }, label)));
  const typeSel = select({ id: 'filter-type', on: { change: (e) => go({ type: e.target.value }) } },
    [['', 'Any type'], ...TYPES], q.type);
  const feedSel = select({ id: 'filter-feed', on: { change: (e) => go({ feed: e.target.value }) } },
    [['', 'Anyone'], ...feeds.map((f) => [f.author, f.author])], q.feed);
  const limitSel = select({ id: 'filter-limit', on: { change: (e) => go({ limit: e.target.value }) } },
    [['50', '50'], ['100', '100'], ['500', '500']], String(q.limit));
  return el('div', { class: 'filters' }, tabs,
    el('div', { class: 'filter-row' }, field('Type', typeSel), field('From', feedSel), field('Per page', limitSel)));
}

/** newLister pages through the records of q: one stream per API query
 * (the type, and the batches when the type is importable). */
function newLister(q, ctx) {
  const streams = [{ type: q.type, cursor: '' }];
  if (IMPORTABLE.has(q.type)) streams.push({ type: 'batch', cursor: '', itemType: q.type });
  return { q, streams, rows: [], ctx };
}

async function loadMore(l) {
  for (const s of l.streams) {
    if (s.cursor === null) continue;
    const page = await api.get('/api/records' + api.query({ type: s.type, feed: l.q.feed, limit: l.q.limit, cursor: s.cursor }), { signal: l.ctx.signal });
    s.cursor = page.next || null;
    l.rows.push(...flatten(page.records || [], s.itemType));
  }
  l.rows.sort((a, b) => (b.time < a.time ? -1 : b.time > a.time ? 1 : b.seq - a.seq || a.item - b.item));
}

function flatten(records, itemType) {
  if (!itemType) return records.map((r) => ({ ...r, item: -1 }));
  const out = [];
  for (const r of records) {
    if (r.type !== 'batch' || !r.record || r.record.type !== itemType) continue;
    r.record.items.forEach((it, i) => out.push({ feed: r.feed, seq: r.seq, time: r.time, type: itemType, record: it, item: i }));
  }
  return out;
}

/** showPage loads the next page of l and shows it, unless a reload has
 * replaced l meanwhile (isCurrent() false): then it renders nothing. */
async function showPage(l, list, more, ctx, isCurrent) {
  try {
    await loadMore(l);
  } catch (e) {
    if (e.name !== 'AbortError' && isCurrent()) fill(list, errorBox(e, 'Could not load the records. '));
    return;
  }
  if (!isCurrent()) return;
  renderRows(l, list);
  const hasMore = l.streams.some((s) => s.cursor !== null);
  fill(more, hasMore ? el('button', { type: 'button', id: 'records-more', on: { click: () => showPage(l, list, more, ctx, isCurrent) } }, 'Show older records') : null);
}

function renderRows(l, list) {
  if (l.rows.length === 0) {
    fill(list, empty(l.q.type || l.q.feed ? 'No records match these filters.' : 'This node holds no records yet.',
      el('p', { class: 'hint' }, 'Records appear here as this node publishes or imports them and as partners send theirs.')));
    return;
  }
  fill(list, el('p', { class: 'muted' }, plural(l.rows.length, 'record', 'records') + ' shown, newest first.'),
    table(['From', 'Entry', 'Time', 'Type', 'What it says'], l.rows.map(recordRow), { id: 'records-table' }));
}

function recordRow(r) {
  const href = '#/records/' + api.path(r.feed, r.seq) + (r.item >= 0 ? '?item=' + r.item : '');
  const entry = '#' + r.seq + (r.item >= 0 ? ' · item ' + (r.item + 1) : '');
  return row([
    el('strong', {}, r.feed),
    el('a', { href }, entry),
    el('span', { title: r.time }, when(r.time)),
    TypeLabel(r.type),
    el('a', { href, class: 'summary' }, summary(r.type, r.record) || TypeLabel(r.type)),
  ], { dataset: { feed: r.feed, seq: String(r.seq), type: r.type } });
}

export async function recordPage(view, ctx) {
  const [feed, seq] = ctx.args;
  const v = await api.get('/api/records/' + api.path(feed, seq), { signal: ctx.signal });
  const s = await status(ctx);
  const item = ctx.params.has('item') ? Number(ctx.params.get('item')) : -1;
  const own = feed === s.participant;
  const meta = dl([
    ['From', own ? feed + ' (this node)' : feed],
    ['Entry', '#' + v.seq],
    ['Time', when(v.time)],
    ['Type', TypeLabel(v.type) + (v.type === 'batch' ? ' of ' + v.record.items.length + ' ' + typeLabel(v.record.type) + ' records (an imported file)' : '')],
  ]);
  const body = v.type === 'batch' ? batchView(v, item) : [el('h2', {}, summary(v.type, v.record) || TypeLabel(v.type)), recordView(v.record)];
  fill(view,
    el('p', {}, el('a', { href: '#/records' }, '← All records')),
    el('h1', {}, TypeLabel(v.type === 'batch' && item >= 0 ? v.record.type : v.type) + ' · ' + feed + ' #' + v.seq),
    section('Entry', meta),
    el('section', { class: 'panel', id: 'record-body' }, body),
    filesPanel(v.type === 'batch' ? batchFiles(v, item) : v, ctx),
    v.type === 'notice' && !own && api.can('clerk') ? ackForm(v, ctx) : null,
    v.type === 'anomaly_query' ? questionPanels(v, own, ctx) : null,
    v.type === 'anomaly_answer' ? questionLink(v) : null,
    rawJSON(v.record));
}

function batchView(v, item) {
  const b = v.record;
  if (item >= 0 && b.items[item]) {
    const it = b.items[item];
    return [el('h2', {}, 'Item ' + (item + 1) + ' of ' + b.items.length + ': ' + (summary(b.type, it) || TypeLabel(b.type))),
      recordView(it),
      el('p', {}, el('a', { href: '#/records/' + api.path(v.feed, v.seq) }, 'See the whole batch'))];
  }
  const shown = b.items.slice(0, 500);
  return [el('h2', {}, summary('batch', b)),
    b.items.length > shown.length ? el('p', { class: 'muted' }, 'The first ' + shown.length + ' items are listed.') : null,
    table(['Item', 'What it says'], shown.map((it, i) => row([
      String(i + 1),
      el('a', { href: '#/records/' + api.path(v.feed, v.seq) + '?item=' + i }, summary(b.type, it) || TypeLabel(b.type)),
    ])))];
}

/** batchFiles is the batch v as a record naming the files of its item
 * (or of every item): an imported certificate's scans and photos, each
 * with its item's index, which addresses it (items may each carry a
 * file of one name). */
function batchFiles(v, item) {
  const items = item >= 0 ? [[v.record.items[item] || {}, item]] : v.record.items.map((it, i) => [it, i]);
  return { ...v, record: { attachments: items.flatMap(([it, i]) => (it.attachments || []).map((f) => ({ ...f, item: i }))) } };
}

/** ackForm acknowledges a partner's notice: an acknowledgement record to
 * its author. */
function ackForm(v, ctx) {
  const remarks = el('textarea', { id: 'ack-remarks', rows: 2, dataset: { field: 'remarks' } });
  const out = el('div', { 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', class: 'primary' }, 'Acknowledge this notice');
  const form = el('form', { id: 'notice-ack', on: { submit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      const p = await api.post('/api/notices/' + api.path(v.feed, v.seq) + '/ack', { remarks: remarks.value.trim() }, { signal: ctx.signal });
      fill(out, okBox('Acknowledgement sent to ' + v.feed + ' as entry #' + p.seq + '.'));
    } catch (err) {
      button.disabled = false;
      fill(out, errorBox(err, 'Not sent. '));
    }
  } } },
  el('p', {}, 'Tell ' + v.feed + ' that this notice reached you. An acknowledgement record goes to ' + v.feed + ' only.'),
  field('Remarks (optional)', remarks, 'For example: "Circulated to customs at the airports."'),
  button, out);
  return el('section', { class: 'panel' }, el('h2', {}, 'Acknowledge'), form);
}
