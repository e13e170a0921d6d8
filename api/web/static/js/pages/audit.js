// The audit log: the administrative actions taken on this node, newest
// first, each with who did it (a member of staff, a token, or the node).

import * as api from '../api.js';
import { el, fill, table, row, empty, when } from '../dom.js';

const LIMIT = 200;

export async function auditPage(view, ctx) {
  const list = el('div', { id: 'audit-list' });
  fill(view, el('h1', {}, 'Audit log'),
    el('p', {}, 'What was done on this node and by whom, newest first: partners, imports, exports, acknowledgements, staff accounts and tokens, sign-ins. "node" is the node\'s own token on its computer, or the node itself. The last ' + LIMIT + ' records are shown; "kpnode audit" shows more and "kpnode audit verify" checks that none was altered.'),
    list);
  const recs = await api.get('/api/audit' + api.query({ limit: LIMIT }), { signal: ctx.signal });
  if (!recs || recs.length === 0) {
    fill(list, empty('The audit log is empty.'));
    return;
  }
  fill(list, table(['#', 'When', 'Who', 'Action', 'Details'], recs.map((r) => row([
    String(r.seq),
    when(r.time),
    el('strong', {}, r.actor),
    el('code', {}, r.action),
    el('code', { class: 'audit-details' }, details(r.details)),
  ], { dataset: { seq: String(r.seq), actor: r.actor } })), { id: 'audit-table' }));
}

/** details shows a record's details without the actor, already shown. */
function details(d) {
  const rest = { ...(d || {}) };
  delete rest.actor;
  return Object.keys(rest).length === 0 ? '' : JSON.stringify(rest);
}
