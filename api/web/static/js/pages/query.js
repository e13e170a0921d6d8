// Ask a question: an anomaly query (the Data Anomaly Questionnaire) to a
// partner about a figure of a period, often raised by a finding.

import * as api from '../api.js';
import { el, fill, section } from '../dom.js';
import { status, recipients, roleNeeded } from './common.js';
import { input, textarea, text, compact, publish } from './form.js';

export async function queryPage(view, ctx) {
  if (!api.can('clerk')) return fill(view, el('h1', {}, 'Ask a question'), roleNeeded('clerk', 'send questions to partners'));
  const s = await status(ctx);
  const to = await recipients(ctx);
  const pre = ctx.params;
  const partner = pre.get('partner');
  if (partner) {
    const box = to.node.querySelector('input[value="' + CSS.escape(partner) + '"]');
    if (box) box.checked = true;
  }
  const finding = pre.get('finding') ? await findingFacts(pre.get('finding'), ctx) : {};
  const out = el('div', { id: 'query-result', 'aria-live': 'polite' });
  const due = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  const form = el('form', { id: 'query-form', class: 'record-form', novalidate: true },
    input('reference', 'Your reference', { required: true, placeholder: s.participant + '-AQ-' + new Date().getFullYear() + '-0001' }),
    input('period', 'Period', { placeholder: '2026-Q3', required: true }, 'A quarter such as 2026-Q3, or a half-year such as 2026-H2.'),
    input('subject', 'Subject', { value: finding.subject || '', required: true }, 'For example "India\'s exports of gem-quality rough to Belgium".'),
    input('figure', 'The figure you ask about', { required: true }, 'For example "exports to BE, 7102.31, carats".'),
    input('observed', 'What you observed', { value: finding.observed || '', required: true }, 'For example "+63 % quarter on quarter".'),
    input('due', 'Answer needed by', { type: 'date', value: due, required: true }),
    textarea('question', 'Your question', { rows: 4, required: true }),
    el('div', { class: 'columns' },
      input('rule', 'Check that raised it (optional)', { value: pre.get('rule') || '' }),
      input('finding', 'Finding (optional)', { value: pre.get('finding') || '' })),
    to.node,
    el('button', { type: 'submit', class: 'primary' }, 'Send the question'),
    out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    publish('anomaly_query', form, to, () => build(form), out, ctx);
  });
  fill(view, el('h1', {}, 'Ask a partner about a figure'),
    el('p', {}, 'An anomaly query asks a partner to explain or correct a figure in their statistics or records. They answer with an anomaly answer, which appears under Records.'),
    section('The question', form));
}

/** findingFacts fills the question from the finding that raised it. */
async function findingFacts(id, ctx) {
  try {
    const fe = await api.get(api.findingPath(id), { signal: ctx.signal });
    return { subject: 'Finding ' + id, observed: fe.finding.explanation.slice(0, 200) };
  } catch {
    return {}; // the finding may have cleared: the form stays empty
  }
}

function build(form) {
  const names = ['reference', 'period', 'subject', 'figure', 'observed', 'due', 'question', 'rule', 'finding'];
  return compact({ version: 1, ...Object.fromEntries(names.map((n) => [n, text(form, n)])) });
}
