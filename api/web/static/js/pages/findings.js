// Findings: what the cross-checks found, with filters; one finding with
// the records and numbers behind it, and its acknowledgement.

import * as api from '../api.js';
import { el, fill, section, table, row, empty, errorBox, okBox, badge, dl, when, day, select, field, debounce, humanize, plural } from '../dom.js';
import { SEVERITIES, RULES, ruleLabel, TypeLabel } from '../format.js';
import { roleNeeded } from './common.js';

const SEVERITY_BADGE = { critical: 'danger', warning: 'warn', info: 'info' };

/** severityBadge shows a finding's severity. */
export function severityBadge(s) {
  const label = (SEVERITIES.find(([v]) => v === s) || [s, s])[1];
  return badge(label, SEVERITY_BADGE[s] || 'muted');
}

/** PAGE is how many findings a page of the list shows. */
const PAGE = 100;

/** findingsPage shows the findings grouped first (counts by check,
 * partner and period, from /api/findings/summary), then one page of those
 * the filters select (/api/findings with a cursor): neither request reads
 * more than a page of findings, whatever the node holds. */
export async function findingsPage(view, ctx) {
  const p = (k) => ctx.params.get(k) || '';
  const q = { rule: p('rule'), partner: p('partner'), period: p('period'), severity: p('severity'), acked: p('acked'), cursor: p('cursor') };
  const filter = { rule: q.rule, partner: q.partner, period: q.period, severity: q.severity };
  const summaryOf = () => api.get('/api/findings/summary' + api.query(filter), { signal: ctx.signal });
  const [pinned, first] = await Promise.all([api.get('/api/partners', { signal: ctx.signal }), summaryOf()]);
  const groups = el('div', { id: 'findings-groups', class: 'columns' });
  const list = el('div', { id: 'findings-list' });
  fill(view, el('h1', {}, 'Findings'),
    el('p', {}, 'The node cross-checks the records it holds: certificates against confirmations, statistics against each other, unit values against references. Each finding is something for a person to look at; it is not proof of wrongdoing.'),
    filters(q, partnerChoices(pinned || [], first), periodChoices(first, q.period)), groups, list);
  const load = async (sum) => {
    const page = await api.get('/api/findings' + api.query({ ...filter, open: q.acked ? '' : 'true', limit: PAGE, cursor: q.cursor }), { signal: ctx.signal });
    renderGroups(groups, sum, q);
    renderList(list, page, sum, q);
  };
  // Listen first: what arrives while the page loads reloads it.
  const live = debounce(async () => load(await summaryOf()), 1000);
  ctx.onEvent((ev) => { if (ev.kind.startsWith('finding_') || ev.kind === 'missed') live(); });
  await load(first);
}

/** hrefWith is the findings page with q changed by patch, on its first page. */
function hrefWith(q, patch) {
  return '#/findings' + api.query({ ...q, cursor: '', ...patch });
}

/** partnerChoices are the pinned partners and every other participant a
 * finding names (a finding may name a participant that is not a partner,
 * such as the destination of a certificate seen in a partner's records). */
function partnerChoices(pinned, sum) {
  const out = pinned.map((p) => [p.code, p.code + ' · ' + p.name]);
  const seen = new Set(pinned.map((p) => p.code));
  for (const g of sum.by_partner || []) {
    if (g.key && !seen.has(g.key)) out.push([g.key, g.key + ' (not a partner)']);
  }
  if ((sum.by_partner || []).some((g) => !g.key)) out.push(['none', 'None (own statistics)']);
  return out;
}

function periodChoices(sum, current) {
  const out = (sum.by_period || []).filter((g) => g.key).map((g) => [g.key, g.key]);
  if (current && !out.some(([k]) => k === current)) out.unshift([current, current]);
  return out;
}

function filters(q, partners, periods) {
  const go = (patch) => { location.hash = hrefWith(q, patch); };
  const acked = el('input', { type: 'checkbox', id: 'filter-acked', checked: q.acked !== '', on: { change: (e) => go({ acked: e.target.checked ? '1' : '' }) } });
  return el('div', { class: 'filters filter-row' },
    field('Severity', select({ id: 'filter-severity', on: { change: (e) => go({ severity: e.target.value }) } }, [['', 'Any'], ...SEVERITIES], q.severity)),
    field('Check', select({ id: 'filter-rule', on: { change: (e) => go({ rule: e.target.value }) } }, [['', 'Any'], ...RULES], q.rule)),
    field('Partner', select({ id: 'filter-partner', on: { change: (e) => go({ partner: e.target.value }) } }, [['', 'Any'], ...partners], q.partner)),
    field('Period', select({ id: 'filter-period', on: { change: (e) => go({ period: e.target.value }) } }, [['', 'Any'], ...periods], q.period)),
    el('div', { class: 'field' }, el('label', { class: 'check', for: acked.id }, acked, ' Show acknowledged findings too')));
}

/** renderGroups shows the counts by check, partner and period; each
 * group links to the findings page filtered to it. */
function renderGroups(place, sum, q) {
  if (!sum.total) {
    fill(place);
    return;
  }
  const part = (title, id, key, gs, label) => section(title, table([title.replace('By ', ''), 'Open', 'All'], gs.map((g) => {
    const v = key === 'partner' && !g.key ? 'none' : g.key;
    const current = q[key] === v;
    return row([
      el('a', { href: hrefWith(q, { [key]: current ? '' : v }), class: 'group-link', 'aria-current': current ? 'true' : null,
        title: current ? 'Show every ' + key + ' again' : null }, label(g.key) + (current ? ' (shown; select to show all)' : '')),
      String(g.open), String(g.count)], { dataset: { group: key + ':' + v } });
  }), { id }));
  fill(place,
    part('By check', 'groups-rule', 'rule', sum.by_rule || [], (k) => ruleLabel(k)),
    part('By partner', 'groups-partner', 'partner', sum.by_partner || [], (k) => k || 'None (own statistics)'),
    part('By period', 'groups-period', 'period', sum.by_period || [], (k) => k || 'Unknown'));
}

/** renderList shows one page of findings and the way to the next. */
function renderList(list, page, sum, q) {
  const shown = page.findings || [];
  const filtered = q.rule || q.partner || q.period || q.severity;
  const count = q.acked ? sum.total : sum.open;
  if (shown.length === 0 && !q.cursor) {
    fill(list, empty(filtered ? 'No findings match these filters.' : sum.total > 0 ? 'Every finding has been acknowledged.' : 'No findings. The cross-checks found nothing to look at.'));
    return;
  }
  const hidden = q.acked ? 0 : sum.total - sum.open;
  const nav = el('nav', { class: 'pager', 'aria-label': 'Pages of findings' },
    q.cursor ? el('a', { href: hrefWith(q, {}), id: 'findings-first' }, 'First page') : null,
    page.next ? el('a', { href: '#/findings' + api.query({ ...q, cursor: page.next }), id: 'findings-next', rel: 'next' }, 'Next ' + PAGE) : null);
  fill(list, el('h2', { id: 'findings-count' }, plural(count, 'finding', 'findings') + (hidden > 0 ? ' (' + hidden + ' acknowledged, hidden)' : '')),
    el('p', { class: 'muted' }, 'Listed by id, ' + PAGE + ' a page' + (q.cursor ? '; the browser\'s Back returns to the page before.' : '.')),
    table(['Severity', 'Check', 'Partner', 'Period', 'What was found', 'Since', 'Status'], shown.map((f) => row([
      severityBadge(f.severity),
      ruleLabel(f.rule),
      f.partner || '—',
      f.period || '—',
      el('a', { href: '#/findings/' + f.id, class: 'finding-link' }, f.explanation),
      f.since ? day(f.since) : '',
      f.ack ? badge('Acknowledged', 'muted') : badge('Open', 'info'),
    ], { dataset: { finding: f.id } })), { id: 'findings-table' }), nav);
}

export async function findingPage(view, ctx) {
  const id = ctx.args[0];
  const fe = await api.get(api.findingPath(id), { signal: ctx.signal });
  const f = fe.finding;
  const ack = fe.ack;
  fill(view,
    el('p', {}, el('a', { href: '#/findings' }, '← All findings')),
    el('h1', {}, 'Finding ', el('code', {}, f.id)),
    el('p', {}, severityBadge(f.severity), ' ', ruleLabel(f.rule), f.rule_name ? el('span', { class: 'muted' }, ' (' + f.rule_name + ')') : null),
    section('What was found', el('p', { class: 'lead', id: 'finding-summary' }, f.explanation),
      dl([['Partner', f.partner || '—'], fe.period ? ['Period', fe.period] : null, f.since ? ['Since', when(f.since)] : null])),
    el('div', { class: 'columns' }, section('The numbers', numbers(f.numbers)), section('The records compared', records(f.records))),
    fe.answered_by && fe.answered_by.length ? section('Answered by', answeredBy(fe.answered_by)) : null,
    f.partner || !api.can('clerk') ? null : section('Answer it in the annual report', el('p', {}, 'When this node\'s annual report explains or resolves this finding, ',
      el('a', { href: '#/report' + api.query({ resolves: f.id }), id: 'finding-report-link' }, 'write the report citing it'), '.')),
    section('Acknowledge', api.can('clerk') || ack ? ackPart(f, ack, ctx) : roleNeeded('clerk', 'acknowledge findings')),
    f.partner ? section('Ask ' + f.partner, el('p', {}, 'If the partner should explain or correct a figure, ',
      el('a', { href: '#/query' + api.query({ finding: f.id, rule: f.rule, partner: f.partner }) }, 'send them a question about this finding'), '.'),
    QUESTIONED.has(f.rule) && api.can('clerk') ? askNow(f, ctx) : null) : null,
    section('Full explanation', el('pre', { class: 'explanation', id: 'finding-explanation' }, fe.explanation || f.explanation)));
}

function numbers(n) {
  const keys = Object.keys(n || {});
  if (keys.length === 0) return empty('This finding has no figures.');
  return table(['Figure', 'Value'], keys.map((k) => row([humanize(k), el('span', { class: 'value' }, n[k])])), { id: 'finding-numbers' });
}

/** QUESTIONED are the rules whose findings the node drafts a question for. */
const QUESTIONED = new Set(['R9', 'R10', 'R11', 'R12']);

/** askNow sends the partner the question the node drafts from the finding,
 * in one action. */
function askNow(f, ctx) {
  const out = el('div', { id: 'ask-result', 'aria-live': 'polite' });
  const button = el('button', { type: 'button', class: 'primary', id: 'ask-button' }, 'Send the drafted question now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const p = await api.post('/api/findings/ask', { id: f.id }, { signal: ctx.signal });
      fill(out, okBox('Question sent to ' + p.audience.join(', ') + ' as entry #' + p.seq + '. ',
        el('a', { href: '#/calendar' }, 'Its answer shows on the Calendar page'), '.'));
    } catch (e) {
      button.disabled = false;
      fill(out, errorBox(e, 'Not sent. '));
    }
  });
  return el('div', {}, el('p', {}, 'Or let the node write it: the period, the figures and a question, due in 30 days, citing this finding.'), button, out);
}

/** answeredBy lists the annual reports that cite the finding as resolved. */
function answeredBy(refs) {
  return el('ul', { id: 'finding-answered-by' }, refs.map((r) => el('li', {},
    el('a', { href: '#/records/' + api.path(r.feed, r.seq), class: 'record-link' }, r.key ? r.key.replace(/^[a-z_]+\//, TypeLabel(r.type) + ' ') : TypeLabel(r.type)),
    ' (' + r.feed + ' #' + r.seq + ') cites this finding as resolved.')));
}

function records(refs) {
  if (!refs || refs.length === 0) return empty('No records are attached to this finding.');
  return table(['Record', 'Entry', ''], refs.map((r) => {
    // r.item counts from 0 (as ?item= does); r.batch tells item 0 of a batch
    // from a lone record. People read items numbered from 1.
    const href = '#/records/' + api.path(r.feed, r.seq) + (r.batch ? '?item=' + (r.item || 0) : '');
    return row([
      r.key ? r.key.replace(/^[a-z_]+\//, TypeLabel(r.type) + ' ') : TypeLabel(r.type),
      r.feed + ' #' + r.seq + (r.batch ? ' · item ' + ((r.item || 0) + 1) : ''),
      el('a', { href, class: 'record-link' }, 'Open the record'),
    ]);
  }), { id: 'finding-records' });
}

function ackPart(f, ack, ctx) {
  const place = el('div', { id: 'finding-ack' });
  if (ack) {
    fill(place, okBox('Acknowledged ' + when(ack.time) + (ack.note ? ': ' + ack.note : '.')));
    return place;
  }
  const note = el('textarea', { id: 'ack-note', rows: 2 });
  const out = el('div', { 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', class: 'primary', id: 'ack-button' }, 'Acknowledge');
  const form = el('form', { on: { submit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      const done = await api.post('/api/findings/ack', { id: f.id, note: note.value.trim() }, { signal: ctx.signal });
      const box = okBox('Acknowledged ' + when((done.ack || {}).time || new Date().toISOString()) + (note.value.trim() ? ': ' + note.value.trim() : '.'),
        ' It no longer shows among the open findings. ', el('a', { href: '#/findings' }, 'Back to the open findings'));
      box.tabIndex = -1;
      fill(place, box);
      box.focus();
    } catch (err) {
      button.disabled = false;
      fill(out, errorBox(err, 'Not acknowledged. '));
    }
  } } },
  el('p', {}, 'Acknowledging says someone has looked at this finding. It then leaves the list of open findings and the overview\'s count; to see it again, tick "Show acknowledged findings too" on the Findings page. It is not sent to anyone.'),
  field('Note (optional)', note, 'What you found or did, for your colleagues.'),
  button, out);
  return fill(place, form);
}
