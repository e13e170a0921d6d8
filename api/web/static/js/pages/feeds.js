// Feeds: every feed this node holds (its own and each partner's), and the
// entries of one feed, newest first.

import * as api from '../api.js';
import { el, fill, table, row, empty, when, debounce, plural } from '../dom.js';
import { TypeLabel, summary } from '../format.js';
import { status } from './common.js';

const PAGE = 50;

export async function feedsPage(view, ctx) {
  const list = el('div', { id: 'feeds-list' });
  fill(view, el('h1', {}, 'Feeds'),
    el('p', {}, 'Each participant writes its records into its own feed, one numbered entry after the other. This node keeps its own feed and a copy of each partner\'s.'),
    list);
  const load = async () => {
    const [feeds, s] = await Promise.all([api.get('/api/feeds', { signal: ctx.signal }), status(ctx)]);
    renderFeeds(list, feeds || [], s.participant);
  };
  // Listen first: what arrives while the page loads reloads it.
  const live = debounce(load, 300);
  ctx.onEvent((ev) => { if (ev.kind.startsWith('entry_') || ev.kind === 'missed') live(); });
  await load();
}

function renderFeeds(list, feeds, own) {
  if (feeds.length === 0) {
    fill(list, empty('No feeds yet.'));
    return;
  }
  fill(list, table(['Feed', 'Entries', 'Latest entry', ''], feeds.map((f) => row([
    el('strong', {}, f.author + (f.author === own ? ' (this node)' : '')),
    String(f.seq),
    f.time ? when(f.time) : el('span', { class: 'muted' }, 'no entries yet'),
    el('a', { href: '#/feeds/' + api.path(f.author) }, 'Show entries'),
  ], { dataset: { feed: f.author } })), { id: 'feeds-table' }));
}

export async function feedPage(view, ctx) {
  const author = ctx.args[0];
  const list = el('div', { id: 'entries-list' });
  const nav = el('div', { class: 'more' });
  fill(view, el('p', {}, el('a', { href: '#/feeds' }, '← All feeds')), el('h1', {}, 'Feed of ' + author), list, nav);
  const upTo = Number(ctx.params.get('to')) || 0; // 0: the head
  const load = async () => {
    const feeds = (await api.get('/api/feeds', { signal: ctx.signal })) || [];
    const head = (feeds.find((f) => f.author === author) || { seq: 0 }).seq;
    const last = upTo > 0 ? Math.min(upTo, head) : head;
    const from = Math.max(1, last - PAGE + 1);
    const entries = last === 0 ? [] : await api.get('/api/feeds/' + api.path(author) + '/entries' + api.query({ from, limit: last - from + 1 }), { signal: ctx.signal });
    renderEntries(list, author, (entries || []).slice().reverse(), head);
    renderNav(nav, author, from, last, head);
  };
  // Listen first: what arrives while the page loads reloads it.
  const live = debounce(load, 300);
  ctx.onEvent((ev) => { if (upTo === 0 && (ev.kind.startsWith('entry_') || ev.kind === 'missed')) live(); });
  await load();
}

function renderEntries(list, author, entries, head) {
  if (entries.length === 0) {
    fill(list, empty(author + '\'s feed has no entries yet.'));
    return;
  }
  fill(list, el('p', { class: 'muted' }, plural(head, 'entry', 'entries') + ' in all; newest first.'),
    table(['Entry', 'Time', 'Type', 'Sent to', 'Size', 'What it says'], entries.map((e) => row([
      '#' + e.seq,
      when(e.time),
      TypeLabel(e.type),
      (e.audience || []).join(', '),
      e.size.toLocaleString() + ' bytes',
      e.record
        ? el('a', { href: '#/records/' + api.path(author, e.seq) }, summary(e.type, e.record) || 'Open the record')
        : el('span', { class: 'muted' }, 'not addressed to this node'),
    ], { dataset: { seq: String(e.seq) } })), { id: 'entries-table' }));
}

function renderNav(nav, author, from, last, head) {
  const base = '#/feeds/' + api.path(author);
  fill(nav,
    last < head ? el('a', { href: base, class: 'button' }, 'Newest entries') : null, ' ',
    from > 1 ? el('a', { href: base + '?to=' + (from - 1), class: 'button' }, 'Older entries') : null);
}
