// The submission calendar: for the node and each partner, which trade
// statistics, production statistics and annual reports are owed, and which
// came on time, late or not at all. Each participant gets a month grid:
// a row per obligation, a column per month of the last year and a half,
// each period in the month of its deadline, its status in words and colour.

import * as api from '../api.js';
import { el, fill, empty, plural, section, table, row, okBox, errorBox } from '../dom.js';

const MONTHS = 18;
const NAMES = {
  trade_statistics: 'Trade statistics, quarterly',
  production_statistics: 'Production, half-yearly',
  annual_report: 'Annual report',
};
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SHORT = { trade_statistics: 'trade statistics', production_statistics: 'production statistics', annual_report: 'annual report' };
const STATUS = {
  on_time: ['on time', 'ok'], late: ['late', 'warn'], missing: ['missing', 'danger'],
  overdue: ['overdue', 'warn'], due: ['not yet due', 'info'], open: ['running', 'muted'],
};

export async function calendarPage(view, ctx) {
  const [cal, asked] = await Promise.all([api.get('/api/calendar', { signal: ctx.signal }), api.get('/api/questionnaires', { signal: ctx.signal })]);
  const months = lastMonths(cal.at, MONTHS);
  const owing = cal.parties.filter((p) => owed(p).length > 0);
  fill(view,
    el('h1', {}, 'Submission calendar'),
    el('p', { class: 'lead', id: 'calendar-summary' }, owing.length === 0
      ? 'Nobody owes a submission past its deadline.'
      : plural(owing.length, 'participant owes', 'participants owe') + ' submissions past their deadline: ' +
        owing.map((p) => p.code + ' (' + longest(p) + ' days)').join(', ') + '.'),
    el('p', {}, el('a', { href: '#/report', id: 'calendar-report-link' }, 'Publish this node\'s annual report')),
    el('p', { class: 'muted' }, 'Each period shows in the month of its deadline. A participant owes a kind of submission from the first period it sent (or from the calendar start set in the configuration); missing ones become findings once the grace after the deadline has passed.'),
    cal.parties.length === 0 ? empty('No participant is tracked yet: pin a partner or import statistics.') : null,
    ...cal.parties.map((p) => partyPanel(p, months)),
    questionsPanel(asked, ctx));
  // The latest months matter most: a grid wider than the page starts there.
  for (const s of view.querySelectorAll('.calendar-scroll')) s.scrollLeft = s.scrollWidth;
}

/** questionsPanel shows, per partner, the answers owed to this node's
 * anomaly queries (the Data Anomaly Questionnaire), the overdue ones, and
 * the answers waiting for the clerk to accept them. */
function questionsPanel(q, ctx) {
  const replies = q.queries.flatMap((x) => x.replies.map((r) => ({ ...r, query: x })));
  const overdue = replies.filter((r) => r.status === 'overdue');
  const answered = replies.filter((r) => r.answer && r.status !== 'closed');
  return section('Questions this node asked',
    q.partners.length === 0 ? empty('This node has asked no questions yet.', el('a', { href: '#/query' }, 'Ask a partner about a figure')) :
      table(['Partner', 'Asked', 'Answered', 'Closed', 'Overdue', 'Waiting', 'Response rate'], q.partners.map((r) => row([
        r.partner, String(r.asked), String(r.answered), String(r.closed), String(r.overdue), String(r.pending), r.rate_pct + ' %',
      ], { dataset: { partner: r.partner } })), { id: 'questions-rates' }),
    overdue.length === 0 ? null : el('ul', { id: 'questions-overdue' }, overdue.map((r) => el('li', {},
      el('a', { href: '#/records/' + api.path(r.query.ref.feed, r.query.ref.seq) }, r.query.reference), ' to ' + r.partner + ': ' +
      r.query.subject + ', due ' + r.query.due + ', ' + r.days_overdue + ' days overdue'))),
    answered.length === 0 ? null : el('ul', { id: 'questions-answered' }, answered.map((r) => answeredItem(r, ctx))));
}

/** answeredItem is an answer not yet accepted, with the clerk's button
 * that accepts it and so closes the questionnaire. */
function answeredItem(r, ctx) {
  const id = r.answer.feed + '/' + r.answer.seq;
  const out = el('span', { 'aria-live': 'polite' });
  const li = el('li', { dataset: { answer: id } },
    el('a', { href: '#/records/' + api.path(r.answer.feed, r.answer.seq) }, r.partner + '\'s answer'), ' to ' + r.query.reference +
    ' (' + r.status.replace('_', ' ') + ' ' + r.answered.slice(0, 10) + ') ');
  if (!api.can('clerk')) return li;
  const button = el('button', { type: 'button' }, 'Accept the answer');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const x = await api.post('/api/questionnaires/accept', { answer: id }, { signal: ctx.signal });
      fill(out, okBox('Accepted: the questionnaire is closed' + (x.finding ? ', and finding ' + x.finding + ' with it.' : '.')));
    } catch (e) {
      button.disabled = false;
      fill(out, errorBox(e, 'Not accepted. '));
    }
  });
  li.append(button, out);
  return li;
}

/** owed returns the periods of p past their deadline and not received. */
function owed(p) {
  return p.obligations.flatMap((o) => o.periods.filter((x) => x.status === 'missing' || x.status === 'overdue').map((x) => ({ ...x, obligation: o.obligation })));
}

function longest(p) {
  return Math.max(...owed(p).map((x) => x.days_late || 0));
}

function partyPanel(p, months) {
  const id = 'calendar-' + p.code;
  const owes = owed(p);
  return el('section', { class: 'panel calendar-party', id, 'aria-labelledby': id + '-title' },
    el('h2', { id: id + '-title' }, p.code, p.self ? ' (this node)' : ''),
    el('p', { class: 'calendar-owes' }, owes.length === 0
      ? 'Owes nothing past its deadline.'
      : ['Owes ', owesText(owes), ', the oldest ' + longest(p) + ' days past its deadline.']),
    findingLinks(p),
    el('div', { class: 'calendar-scroll', tabindex: '0', role: 'region', 'aria-label': p.code + ' month by month' }, grid(p, months)));
}

function owesText(owes) {
  const by = {};
  for (const x of owes) (by[x.obligation] = by[x.obligation] || []).push(x.period);
  return Object.entries(by).map(([ob, ps]) => SHORT[ob] + ' ' + ps.join(', ')).join('; ');
}

function findingLinks(p) {
  const ids = p.obligations.map((o) => o.finding).filter(Boolean);
  if (ids.length === 0) return null;
  return el('p', {}, 'Findings: ', ...ids.flatMap((f, i) => [i ? ', ' : '', el('a', { href: '#/findings/' + f, class: 'calendar-finding' }, f)]));
}

function grid(p, months) {
  return el('table', { class: 'data calendar-grid' },
    el('caption', { class: 'visually-hidden' }, p.code + ': submissions by month of their deadline'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Obligation'),
      months.map((m) => el('th', { scope: 'col', class: 'calendar-month' }, m.month, el('span', { class: 'calendar-year' }, m.year))))),
    el('tbody', {}, p.obligations.map((o) => el('tr', { dataset: { obligation: o.obligation } },
      el('th', { scope: 'row' }, NAMES[o.obligation] || o.obligation),
      months.map((m) => el('td', {}, cell(o, m.key)))))));
}

/** cell shows the periods of o whose deadline falls in month key ("2025-11"). */
function cell(o, key) {
  return o.periods.filter((x) => deadlineMonth(x.due) === key).map((x) => {
    const [text, kind] = STATUS[x.status] || [x.status, 'muted'];
    const days = x.days_late ? ' ' + x.days_late + '\u00a0d' : '';
    // "2025-Q3" reads as "Q3" under its month; the year is there for
    // screen readers (and a year's report shows whole).
    const cut = x.period.indexOf('-');
    const dates = receivedText(x);
    const b = el('span', { class: 'badge badge-' + kind },
      cut > 0 ? el('span', { class: 'visually-hidden' }, x.period.slice(0, cut + 1)) : null,
      x.period.slice(cut + 1), ' ' + text + days,
      dates ? el('span', { class: 'visually-hidden' }, ', ' + dates) : null);
    if (dates) b.title = dates;
    b.dataset.period = x.period;
    b.dataset.status = x.status;
    return b;
  });
}

/** receivedText gives both dates of a received period: the one its
 * author signed and the one this node first held it (a partner could
 * backdate the first; lateness is judged on the later of the two, less a
 * week's tolerance for sync lag). */
function receivedText(x) {
  if (!x.received) return '';
  const signed = x.signed ? 'signed ' + x.signed.slice(0, 10) : '';
  const held = x.held ? 'first held here ' + x.held.slice(0, 10) : '';
  return ['received ' + x.received.slice(0, 10), signed, held].filter((t) => t).join(', ');
}

/** deadlineMonth returns the month of the last day before due ("2025-11" for due 2025-12-01). */
function deadlineMonth(due) {
  const d = new Date(due + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 7);
}

/** lastMonths returns the n months up to the one containing at, oldest first. */
function lastMonths(at, n) {
  const d = new Date(at);
  const out = [];
  for (let i = n - 1; i >= 0; i--) {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1));
    const key = m.toISOString().slice(0, 7);
    out.push({ key, month: MONTH_NAMES[m.getUTCMonth()], year: String(m.getUTCFullYear()) });
  }
  return out;
}
