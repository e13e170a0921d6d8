// inbox.js: the overview's "Waiting for this node" (partners' notices to
// acknowledge, questions to answer, certificates to confirm) and "Awaiting
// confirmation" (our certificates their destination has not confirmed),
// from GET /api/inbox; and the page that lists every certificate awaiting
// confirmation.

import * as api from '../api.js';
import { el, fill, table, row, empty, when, plural } from '../dom.js';
import { summary } from '../format.js';

const SHOWN = 10;

/** LIMIT is how many items of each list the awaiting page asks for (the
 * most the API gives in one page); the overview takes the default page. */
const LIMIT = 10000;

/** loadInbox fetches the inbox: each list's first page, and in counts
 * the length of the whole list. */
export function loadInbox(ctx, limit) {
  return api.get('/api/inbox' + (limit ? '?limit=' + limit : ''), { signal: ctx.signal });
}

/** inboxView lists what awaits this node, each item linked to its record. */
export function inboxView(ib) {
  const groups = [
    ['inbox-notices', 'Notices to acknowledge', ib.notices, recordItem, ib.counts.notices],
    ['inbox-questions', 'Questions to answer', ib.questions, recordItem, ib.counts.questions],
    ['inbox-confirm', 'Certificates to confirm', ib.to_confirm, certItem, ib.counts.to_confirm],
  ];
  const total = groups.reduce((n, g) => n + g[4], 0);
  if (total === 0) {
    return empty('Nothing waits for this node.', el('p', { class: 'hint' },
      'Partners\' notices to acknowledge, questions to answer and certificates to confirm appear here.'));
  }
  return groups.filter((g) => g[4] > 0).map(([id, title, items, item, count]) =>
    el('div', { class: 'inbox-group', id },
      el('h3', {}, title + ' (' + count + ')'),
      el('ul', { class: 'inbox' }, items.slice(0, SHOWN).map(item)),
      count > SHOWN ? el('p', { class: 'hint' }, 'and ' + (count - SHOWN) + ' more, oldest last.') : null));
}

function recordItem(r) {
  return el('li', {}, el('a', { href: '#/records/' + api.path(r.feed, r.seq) }, summary(r.type, r.record) || r.type),
    ' ', el('span', { class: 'muted' }, 'from ' + r.feed + ', ' + when(r.time)));
}

function certItem(c) {
  return el('li', {}, el('a', { href: certHref(c) }, 'Certificate ' + c.number),
    ' ', el('span', { class: 'muted' }, 'from ' + c.issuer + ', issued ' + c.issued));
}

function certHref(c) {
  return '#/records/' + api.path(c.feed, c.seq) + (c.item >= 0 ? '?item=' + c.item : '');
}

/** awaitingView counts our certificates awaiting their destination's
 * confirmation, per partner, with a link to the full list. */
export function awaitingView(ib) {
  const list = ib.unconfirmed;
  if (ib.counts.unconfirmed === 0) {
    return empty('Every certificate of ours is confirmed.', el('p', { class: 'hint' },
      'A certificate is confirmed when the importing authority sends an import confirmation for it.'));
  }
  const per = new Map();
  for (const c of list) per.set(c.destination, (per.get(c.destination) || 0) + 1);
  return [el('ul', { class: 'inbox' }, [...per].map(([dest, n]) =>
    el('li', { dataset: { partner: dest } }, el('a', { href: '#/awaiting?partner=' + encodeURIComponent(dest) },
      plural(n, 'certificate', 'certificates') + ' to ' + dest + ' not yet confirmed')))),
  list.length < ib.counts.unconfirmed ? el('p', { class: 'hint' }, 'Counted over the newest ' + list.length + ' of ' + ib.counts.unconfirmed + '.') : null,
  el('p', {}, el('a', { href: '#/awaiting', id: 'awaiting-link' }, 'See every certificate awaiting confirmation'))];
}

/** awaitingPage lists our certificates awaiting confirmation. */
export async function awaitingPage(view, ctx) {
  const partner = ctx.params.get('partner') || '';
  const ib = await loadInbox(ctx, LIMIT);
  const list = ib.unconfirmed.filter((c) => !partner || c.destination === partner);
  fill(view,
    el('h1', {}, 'Certificates awaiting confirmation' + (partner ? ' by ' + partner : '')),
    el('p', {}, 'Our certificates for which the importing authority has not yet sent an import confirmation. ',
      'Confirmation is not delivery: a partner\'s node may hold the certificate (delivered) while the importing authority has not yet confirmed the shipment.'),
    partner ? el('p', {}, el('a', { href: '#/awaiting' }, 'Show every partner')) : null,
    ib.unconfirmed.length < ib.counts.unconfirmed ? el('p', { class: 'hint' }, 'The newest ' + ib.unconfirmed.length + ' of ' + ib.counts.unconfirmed + ' are listed.') : null,
    list.length === 0 ? empty('None: every certificate of ours is confirmed.')
      : table(['Certificate', 'To', 'Issued', 'Entry'], list.map((c) => row([
        el('a', { href: certHref(c) }, c.number), c.destination, c.issued,
        c.feed + ' #' + c.seq + (c.item >= 0 ? ' · item ' + (c.item + 1) : ''),
      ], { dataset: { number: c.number } })), { id: 'awaiting-table' }));
}
