// participants.js: the participant list as of a date (docs/records.md §17):
// each participant's status, the decision and the source of the change that
// set it (built-in, an update file, a trusted partner's record), the
// partners trusted for the list, the files applied and the partners'
// updates that changed nothing.

import * as api from '../api.js';
import { el, fill, section, table, row, badge, empty, when } from '../dom.js';

const STATUS_BADGE = { active: 'ok', suspended: 'warn', removed: 'danger', not_joined: 'muted' };

export async function participantsPage(view, ctx) {
  const at = ctx.params.get('at') || '';
  const l = await api.get('/api/membership' + api.query({ at }), { signal: ctx.signal });
  fill(view, dateForm(l.at),
    section('Participants as of ' + l.at, table(['Code', 'Name', 'Kind', 'Status', 'Since', 'Decision', 'Source'],
      l.participants.map(participantRow), { id: 'participants-table' })),
    section('Partners trusted for the list', trusted(l.trusted)),
    section('Update files applied', files(l.files)),
    section('Updates that changed nothing', ignored(l.ignored)));
}

function dateForm(at) {
  const input = el('input', { type: 'date', id: 'participants-at', name: 'at', value: at, required: true });
  const form = el('form', { id: 'participants-form', class: 'filters' },
    el('label', { for: input.id }, 'The list as of '), input, ' ', el('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/participants' + api.query({ at: input.value });
  });
  return form;
}

function participantRow(p) {
  return row([p.code, p.name || '—', p.kind || '—', badge(p.status.replace('_', ' '), STATUS_BADGE[p.status] || 'info'),
    p.since || '—', p.decision || '—', sourceText(p.source)], { dataset: { code: p.code } });
}

/** sourceText says where a change came from, as kpnode participants does. */
function sourceText(s) {
  if (s.kind === 'file') return 'file ' + s.file + ' row ' + s.row;
  if (s.kind === 'record') return el('a', { href: '#/records/' + encodeURIComponent(s.partner) + '/' + s.seq }, 'partner ' + s.partner + "'s record seq " + s.seq);
  return 'built-in';
}

function trusted(codes) {
  if (!codes.length) return empty('No partner is trusted for the list: only this node\'s own updates and the files applied change it (kpnode participants trust CODE).');
  return el('p', { id: 'participants-trusted' }, codes.join(', '));
}

function files(fs) {
  if (!fs.length) return empty('No update file was applied (kpnode participants apply FILE).');
  return table(['File', 'Applied', 'By', 'Updates', 'SHA-256'], fs.map((f) => row([f.file, when(f.applied), f.by, String(f.updates), f.sha256.slice(0, 12) + '…'])), { id: 'participants-files' });
}

function ignored(us) {
  if (!us.length) return empty('None: every update held was applied.');
  return table(['Partner', 'Record', 'Participant', 'Change', 'Effective', 'Why it changed nothing'], us.map((u) => row([
    u.partner, el('a', { href: '#/records/' + encodeURIComponent(u.partner) + '/' + u.seq }, (u.type === 'notice' ? 'notice seq ' : 'seq ') + u.seq),
    u.update.participant, u.update.change, u.update.effective, u.reason,
  ])), { id: 'participants-ignored' });
}
