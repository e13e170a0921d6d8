// Findings: what the cross-checks found, with filters; one finding with
// the records and numbers behind it, and its acknowledgement.

import * as api from '../api.js';
import { el, fill, section, table, row, empty, errorBox, okBox, badge, dl, when, day, select, field, debounce, humanize, plural } from '../dom.js';
import { SEVERITIES, RULES, ruleLabel, TypeLabel } from '../format.js';

const SEVERITY_BADGE = { critical: 'danger', warning: 'warn', info: 'info' };

/** severityBadge shows a finding's severity. */
export function severityBadge(s) {
  const label = (SEVERITIES.find(([v]) => v === s) || [s, s])[1];
  return badge(label, SEVERITY_BADGE[s] || 'muted');
}

export async function findingsPage(view, ctx) {
  const q = { rule: ctx.params.get('rule') || '', partner: ctx.params.get('partner') || '', severity: ctx.params.get('severity') || '', acked: ctx.params.get('acked') || '' };
  const [pinned, every] = await Promise.all([
    api.get('/api/partners', { signal: ctx.signal }),
    api.get('/api/findings', { signal: ctx.signal }),
  ]);
  const partners = partnerChoices(pinned || [], every || []);
  const list = el('div', { id: 'findings-list' });
  fill(view, el('h1', {}, 'Findings'),
    el('p', {}, 'The node cross-checks the records it holds: certificates against confirmations, statistics against each other, unit values against references. Each finding is something for a person to look at; it is not proof of wrongdoing.'),
    filters(q, partners), list);
  const load = async () => {
    const all = (await api.get('/api/findings' + api.query({ rule: q.rule, partner: q.partner, severity: q.severity }), { signal: ctx.signal })) || [];
    const shown = (q.acked ? all : all.filter((f) => !f.ack)).sort(bySeverity);
    renderList(list, shown, all.length, q);
  };
  // Listen first: what arrives while the page loads reloads it.
  const live = debounce(load, 300);
  ctx.onEvent((ev) => { if (ev.kind.startsWith('finding_') || ev.kind === 'missed') live(); });
  await load();
}

const RANK = { critical: 0, warning: 1, info: 2 };

/** bySeverity orders findings the most urgent first, then by check
 * (R2 before R10) and id. */
function bySeverity(a, b) {
  return (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) ||
    Number(a.rule.slice(1)) - Number(b.rule.slice(1)) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** partnerChoices are the pinned partners and every other participant a
 * finding names (a finding may name a participant that is not a partner,
 * such as the destination of a certificate seen in a partner's records). */
function partnerChoices(pinned, findings) {
  const out = pinned.map((p) => [p.code, p.code + ' · ' + p.name]);
  const seen = new Set(pinned.map((p) => p.code));
  for (const code of [...new Set(findings.map((f) => f.partner).filter(Boolean))].sort()) {
    if (!seen.has(code)) out.push([code, code + ' (not a partner)']);
  }
  return out;
}

function filters(q, partners) {
  const go = (patch) => { location.hash = '#/findings' + api.query({ ...q, ...patch }); };
  const acked = el('input', { type: 'checkbox', id: 'filter-acked', checked: q.acked !== '', on: { change: (e) => go({ acked: e.target.checked ? '1' : '' }) } });
  return el('div', { class: 'filters filter-row' },
    field('Severity', select({ id: 'filter-severity', on: { change: (e) => go({ severity: e.target.value }) } }, [['', 'Any'], ...SEVERITIES], q.severity)),
    field('Check', select({ id: 'filter-rule', on: { change: (e) => go({ rule: e.target.value }) } }, [['', 'Any'], ...RULES], q.rule)),
    field('Partner', select({ id: 'filter-partner', on: { change: (e) => go({ partner: e.target.value }) } }, [['', 'Any'], ...partners], q.partner)),
    el('div', { class: 'field' }, el('label', { class: 'check', for: acked.id }, acked, ' Show acknowledged findings too')));
}

function renderList(list, shown, total, q) {
  if (shown.length === 0) {
    const filtered = q.rule || q.partner || q.severity;
    fill(list, empty(filtered ? 'No findings match these filters.' : total > 0 ? 'Every finding has been acknowledged.' : 'No findings. The cross-checks found nothing to look at.'));
    return;
  }
  fill(list, el('p', { class: 'muted' }, plural(shown.length, 'finding', 'findings') + (total > shown.length ? ' (' + (total - shown.length) + ' acknowledged, hidden)' : '')),
    table(['Severity', 'Check', 'Partner', 'What was found', 'Since', 'Status'], shown.map((f) => row([
      severityBadge(f.severity),
      ruleLabel(f.rule),
      f.partner || '—',
      el('a', { href: '#/findings/' + f.id, class: 'finding-link' }, f.explanation),
      f.since ? day(f.since) : '',
      f.ack ? badge('Acknowledged', 'muted') : badge('Open', 'info'),
    ], { dataset: { finding: f.id } })), { id: 'findings-table' }));
}

export async function findingPage(view, ctx) {
  const id = ctx.args[0];
  const fe = await api.get(api.findingPath(id), { signal: ctx.signal });
  const f = fe.finding;
  const listed = (await api.get('/api/findings' + api.query({ rule: f.rule, partner: f.partner }), { signal: ctx.signal })) || [];
  const ack = (listed.find((x) => x.id === f.id) || {}).ack;
  fill(view,
    el('p', {}, el('a', { href: '#/findings' }, '← All findings')),
    el('h1', {}, 'Finding ', el('code', {}, f.id)),
    el('p', {}, severityBadge(f.severity), ' ', ruleLabel(f.rule), f.rule_name ? el('span', { class: 'muted' }, ' (' + f.rule_name + ')') : null),
    section('What was found', el('p', { class: 'lead', id: 'finding-summary' }, f.explanation),
      dl([['Partner', f.partner || '—'], f.since ? ['Since', when(f.since)] : null])),
    el('div', { class: 'columns' }, section('The numbers', numbers(f.numbers)), section('The records compared', records(f.records))),
    section('Acknowledge', ackPart(f, ack, ctx)),
    f.partner ? section('Ask ' + f.partner, el('p', {}, 'If the partner should explain or correct a figure, ',
      el('a', { href: '#/query' + api.query({ finding: f.id, rule: f.rule, partner: f.partner }) }, 'send them a question about this finding'), '.')) : null,
    section('Full explanation', el('pre', { class: 'explanation', id: 'finding-explanation' }, fe.explanation || f.explanation)));
}

function numbers(n) {
  const keys = Object.keys(n || {});
  if (keys.length === 0) return empty('This finding has no figures.');
  return table(['Figure', 'Value'], keys.map((k) => row([humanize(k), el('span', { class: 'value' }, n[k])])), { id: 'finding-numbers' });
}

function records(refs) {
  if (!refs || refs.length === 0) return empty('No records are attached to this finding.');
  return table(['Record', 'Entry', ''], refs.map((r) => {
    const href = '#/records/' + api.path(r.feed, r.seq) + '?item=' + (r.item || 0);
    return row([
      r.key ? r.key.replace(/^[a-z_]+\//, TypeLabel(r.type) + ' ') : TypeLabel(r.type),
      r.feed + ' #' + r.seq + (r.item ? ' · item ' + (r.item + 1) : ''),
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
