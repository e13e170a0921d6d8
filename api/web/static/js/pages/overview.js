// The overview: who this node is, its partners' link and delivery, open
// findings by severity, and what just happened (live).

import * as api from '../api.js';
import { el, fill, section, table, row, empty, errorBox, badge, dl, when, ago, duration, plural, debounce } from '../dom.js';
import { describe } from '../events.js';
import { SEVERITIES } from '../format.js';
import { loadInbox, inboxView, awaitingView } from './inbox.js';

const REFRESH_MS = 10000;
const ACTIVITY_SHOWN = 25;

export async function overviewPage(view, ctx) {
  const parts = {
    identity: el('div', { id: 'identity' }),
    findings: el('div', { id: 'finding-counts', 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading the findings…')),
    inbox: el('div', { id: 'inbox', 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading…')),
    awaiting: el('div', { id: 'awaiting' }, el('p', { class: 'muted' }, 'Loading…')),
    partners: el('div', { id: 'partners' }),
    activity: el('div', { id: 'activity' }),
  };
  fill(view,
    el('h1', {}, 'Overview'),
    el('div', { class: 'columns' }, section('Waiting for this node', parts.inbox), section('Open findings', parts.findings)),
    el('div', { class: 'columns' }, section('This node', parts.identity), section('Our certificates awaiting confirmation', parts.awaiting)),
    section('Partners', parts.partners),
    section('Recent activity', parts.activity));
  const loadStatus = () => guard(parts.partners, () => renderStatus(parts, ctx));
  const loadFindings = () => guard(parts.findings, () => renderFindings(parts.findings, ctx));
  const refreshStatus = debounce(loadStatus, 250);
  const refreshFindings = debounce(loadFindings, 250);
  const loadInboxPart = async () => {
    try {
      const ib = await loadInbox(ctx);
      fill(parts.inbox, inboxView(ib));
      fill(parts.awaiting, awaitingView(ib));
    } catch (e) {
      if (e.name === 'AbortError') return;
      fill(parts.inbox, errorBox(e, 'Could not load this part. '));
      fill(parts.awaiting, errorBox(e, 'Could not load this part. '));
    }
    parts.inbox.removeAttribute('aria-busy');
  };
  const refreshInbox = debounce(loadInboxPart, 500);
  ctx.reloadStatus = loadStatus;
  renderActivity(parts.activity, ctx.app.activity, ctx.app.status);
  // Listen before loading: the event stream replays the node's recent
  // events while the page loads, and each must show at once.
  ctx.onEvent((ev) => {
    renderActivity(parts.activity, ctx.app.activity, ctx.app.status);
    if (ev.kind.startsWith('finding_') || ev.kind === 'missed') refreshFindings();
    if (!ev.kind.startsWith('finding_')) refreshStatus();
    if (ev.kind === 'entry_received' || ev.kind === 'entry_published' || ev.kind === 'missed') refreshInbox();
  });
  await Promise.all([loadStatus(), loadFindings(), loadInboxPart()]);
  renderActivity(parts.activity, ctx.app.activity, ctx.app.status);
  ctx.every(REFRESH_MS, () => { loadStatus(); renderActivity(parts.activity, ctx.app.activity, ctx.app.status); });
}

/** guard runs a loader and shows its failure in place. */
async function guard(place, fn) {
  try {
    await fn();
  } catch (e) {
    if (e.name !== 'AbortError') fill(place, errorBox(e, 'Could not load this part. '));
  }
}

async function renderStatus(parts, ctx) {
  const [s, partners] = await Promise.all([
    api.get('/api/status', { signal: ctx.signal }),
    api.get('/api/partners', { signal: ctx.signal }),
  ]);
  ctx.app.status = s;
  const paused = new Set((partners || []).filter((p) => p.paused).map((p) => p.code));
  fill(parts.identity, identity(s));
  fill(parts.partners, partnerTable(s.partners || [], paused, ctx));
}

function identity(s) {
  const since = new Date(s.started).getTime();
  return dl([
    ['Participant', s.participant + ' · ' + s.name],
    ['Fingerprint', el('code', {}, s.fingerprint)],
    ['Version', s.version],
    ['Running for', s.started ? duration(Date.now() - since) + ' (since ' + when(s.started) + ')' : 'starting'],
    ['Equivocations', s.equivocations && s.equivocations.length
      ? badge(plural(s.equivocations.length, 'fork seen', 'forks seen') + ': tell your administrator', 'danger')
      : 'none'],
    ['Publishing', publishing(s.recovery)],
    ['Files', attachments(s.attachments)],
  ]);
}

/** attachments says how many attached files are still to fetch, how much
 * of them is held (a fetch's progress), and what the files held take:
 * the chunks held, not the files' sizes on disk. */
function attachments(a) {
  if (!a || (!a.pending && !a.bytes_held)) return 'none held';
  const mib = (n) => (n / (1 << 20)).toFixed(1) + ' MiB';
  const held = mib(a.bytes_held) + ' held';
  if (!a.pending) return held;
  return el('span', { id: 'attachments-pending' }, badge(plural(a.pending, 'file', 'files') + ' still to fetch', 'warn'),
    ' ' + mib(a.pending_held_bytes) + ' of ' + mib(a.pending_bytes) + ' fetched; ' + held);
}

/** publishing says whether the node may publish, and while it recovers
 * (restored from a backup or a key) what it is waiting for. */
function publishing(r) {
  if (!r || !r.recovering) return 'open';
  const answered = Object.keys(r.reported || {}).length;
  const partners = answered + (r.missing || []).length;
  const waits = [
    answered + ' of ' + partners + ' partners have said how far this node\'s own records go',
    'it holds ' + r.own_head + ' of the ' + r.target + ' they reported',
  ];
  if (r.wait_until && (r.missing || []).length) waits.push('it stops waiting for ' + r.missing.join(', ') + ' ' + when(r.wait_until));
  return el('div', { id: 'recovery' },
    badge('Paused while the node recovers', 'danger'),
    el('div', { class: 'hint' }, r.reason || 'restored'),
    el('div', { class: 'hint' }, 'Nothing is published until the partners confirm this node\'s latest record, so that it never signs two different records with one number: ' + waits.join('; ') + '. Your administrator can end the wait with kpnode recover --force.'));
}

function partnerTable(list, paused, ctx) {
  if (list.length === 0) {
    return empty('This node has no partners yet.',
      el('p', { class: 'hint' }, 'Your administrator adds a partner by exchanging signed cards (kpnode partners add). Until then nothing is sent or received.'));
  }
  return table(['Partner', 'Connection', 'Last contact', 'Their feed entries', 'Our feed entries', 'Delivery', ''],
    list.map((p) => partnerRow(p, paused.has(p.code), ctx)), { id: 'partner-table' });
}

function partnerRow(p, isPaused, ctx) {
  return row([
    [el('div', {}, el('strong', {}, p.code), ' ', el('span', { class: 'muted' }, p.name))],
    [connection(p, isPaused), { class: 'conn' }],
    p.last_contact ? el('span', { title: when(p.last_contact) }, ago(p.last_contact)) : el('span', { class: 'muted' }, 'not since the node started'),
    theirs(p),
    ours(p),
    delivery(p, isPaused),
    api.can('administrator') ? pauseButton(p.code, isPaused, ctx) : null,
  ], { dataset: { partner: p.code, connected: String(p.connected) } });
}

function connection(p, isPaused) {
  return el('span', {},
    p.connected ? badge(p.relayed ? 'Connected through a relaying partner' : 'Connected', 'ok') : badge('Not connected', 'muted'),
    isPaused ? [' ', badge('Paused', 'warn')] : null,
    !p.connected && p.unreachable_since ? [' ', el('span', { class: 'muted unreachable', title: 'unreachable since ' + when(p.unreachable_since) + '; the node log names the addresses tried' },
      'unreachable for ' + ago(p.unreachable_since).replace(/ ago$/, ''))] : null,
    p.cool_off_until ? [' ', el('span', { class: 'badge badge-danger graylisted', title: 'it sent forged or malformed data; it is disconnected and refused until then' },
      'Refused until ' + when(p.cool_off_until))] : null);
}

function theirs(p) {
  if (p.their_head === 0 && p.our_copy === 0) return el('span', { class: 'muted' }, 'none yet');
  if (p.their_head > p.our_copy) {
    return el('span', {}, 'We hold ' + p.our_copy + ' of ' + p.their_head + ' ', badge((p.their_head - p.our_copy) + ' to fetch', 'warn'));
  }
  return 'We hold all ' + p.our_copy;
}

function ours(p) {
  if (p.our_head === 0) return el('span', { class: 'muted' }, 'none yet');
  if (p.undelivered === 0) return 'Their node holds all ' + p.our_head;
  return el('span', {}, p.undelivered + ' of ' + p.our_head + ' not yet at their node',
    p.oldest_undelivered ? el('div', { class: 'hint' }, 'oldest waiting ' + duration(Date.now() - new Date(p.oldest_undelivered).getTime())) : null);
}

/** delivery names the state of our entries' delivery to the partner as
 * kpnode status does (up to date, behind, STALLED), with why it is behind:
 * paused, not connected, or still sending. */
function delivery(p, isPaused) {
  const parts = [];
  if (p.stalled) parts.push(badge('Stalled', 'danger'), el('div', { class: 'hint' }, 'no progress for a while: check the partner\'s connection'));
  else if (p.undelivered > 0 && isPaused) parts.push(badge('Behind: paused', 'muted'), el('div', { class: 'hint' }, 'nothing is exchanged until someone presses Resume'));
  else if (p.undelivered > 0 && !p.connected) parts.push(badge('Behind: not connected', 'warn'), el('div', { class: 'hint' }, 'sent when the partner\'s node is back'));
  else if (p.undelivered > 0) parts.push(badge('Behind: sending', 'info'));
  else parts.push(badge('Up to date', 'ok'));
  if (p.last_sync_error) parts.push(el('div', { class: 'hint' }, 'Last exchange failed: ' + p.last_sync_error));
  return el('div', { class: 'delivery' }, parts);
}

function pauseButton(code, isPaused, ctx) {
  const b = el('button', { type: 'button', class: 'small', title: isPaused ? 'Start exchanging records with this partner again' : 'Stop exchanging records with this partner for now' },
    isPaused ? 'Resume' : 'Pause');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await api.post('/api/partners/' + api.path(code) + (isPaused ? '/resume' : '/pause'), {}, { signal: ctx.signal });
      ctx.reloadStatus();
    } catch (e) {
      b.disabled = false;
      b.replaceWith(errorBox(e, 'Could not ' + (isPaused ? 'resume' : 'pause') + ' ' + code + '. '));
    }
  });
  return b;
}

async function renderFindings(place, ctx) {
  const sum = await api.get('/api/findings/summary', { signal: ctx.signal });
  place.removeAttribute('aria-busy');
  if (!sum || sum.open === 0) {
    fill(place, empty('No open findings.', el('p', { class: 'hint' }, 'The cross-checks found nothing to look at.')));
    return;
  }
  const counts = Object.fromEntries(SEVERITIES.map(([s]) => [s, 0]));
  for (const g of sum.by_severity || []) counts[g.key] = g.open;
  fill(place, el('div', { class: 'counts' }, SEVERITIES.map(([sev, label]) =>
    el('a', { href: '#/findings?severity=' + sev, class: 'count count-' + sev, dataset: { severity: sev } },
      el('span', { class: 'count-n' }, String(counts[sev])), el('span', { class: 'count-label' }, label)))),
  el('p', {}, el('a', { href: '#/findings' }, 'See all ' + plural(sum.open, 'open finding', 'open findings'))));
}

function renderActivity(place, events, st) {
  if (events.length === 0) {
    fill(place, empty('Nothing yet.', el('p', { class: 'hint' }, 'New entries, connections, receipts and findings appear here as they happen.')));
    return;
  }
  fill(place, el('ul', { class: 'activity', id: 'activity-list' }, groupFindings(events).slice(0, ACTIVITY_SHOWN).map((ev) =>
    el('li', { dataset: { kind: ev.kind } }, el('time', { datetime: ev.time, title: when(ev.time) }, clock(ev.time)), ' ', activityLine(ev, st ? st.participant : '')))));
}

/** groupFindings folds each run of two or more consecutive finding events
 * (raised, cleared, acknowledged) into one item of kind 'findings' that
 * counts them, so that the findings one import raises do not push the
 * received entries and connections off the list. Events are newest first;
 * a group takes the time of its newest event. */
export function groupFindings(events) {
  const out = [];
  for (const ev of events) {
    const last = out[out.length - 1];
    if (!ev.kind.startsWith('finding_') || !last || !(last.kind === 'findings' || last.kind.startsWith('finding_'))) {
      out.push(ev);
      continue;
    }
    const group = last.kind === 'findings' ? last : { kind: 'findings', time: last.time, counts: { [last.kind]: 1 } };
    group.counts[ev.kind] = (group.counts[ev.kind] || 0) + 1;
    out[out.length - 1] = group;
  }
  return out;
}

/** findingsLine says what a group of finding events holds. */
function findingsLine(counts) {
  const parts = [];
  if (counts.finding_raised) parts.push(plural(counts.finding_raised, 'new finding', 'new findings'));
  if (counts.finding_cleared) parts.push(plural(counts.finding_cleared, 'finding cleared', 'findings cleared'));
  if (counts.finding_acknowledged) parts.push(plural(counts.finding_acknowledged, 'finding acknowledged', 'findings acknowledged'));
  return parts.join(', ') + '.';
}

/** activityLine says what happened; an entry links to its record. */
function activityLine(ev, own) {
  if (ev.kind === 'findings') return el('a', { href: '#/findings' }, findingsLine(ev.counts));
  const f = ev.fields || {};
  if ((ev.kind === 'entry_received' || ev.kind === 'entry_published') && f.seq) {
    const feed = ev.kind === 'entry_published' ? own : f.feed;
    if (feed) return el('a', { href: '#/records/' + api.path(feed, f.seq) }, describe(ev));
  }
  if (ev.kind.startsWith('finding_') && f.id) return el('a', { href: '#/findings/' + f.id }, describe(ev));
  return describe(ev);
}

function clock(t) {
  return new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
