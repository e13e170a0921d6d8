// answers.js: a question (anomaly query) and its answers. A partner's
// question gets an answer form; our own question lists the answers its
// partners sent; an answer links back to its question.

import * as api from '../api.js';
import { el, fill, section, table, row, when, empty, errorBox, debounce } from '../dom.js';
import { textarea, choice, text, publish } from './form.js';
import { roleNeeded } from './common.js';

/** STATUS names the statuses of an answer as the records reference does. */
export const STATUS = [
  ['answered', 'Answered'],
  ['cannot_answer', 'Cannot answer'],
  ['corrected', 'Corrected (the corrected figures follow as corrections)'],
];

const statusLabel = (s) => (STATUS.find(([v]) => v === s) || [s, s])[1];

/** answersTo returns the answers (of any feed) to the query feed #seq. */
export async function answersTo(feed, seq, ctx) {
  const page = await api.get('/api/records' + api.query({ type: 'anomaly_answer', limit: 1000 }), { signal: ctx.signal });
  return (page.records || []).filter((r) => r.record && r.record.query &&
    r.record.query.feed === feed && r.record.query.seq === Number(seq));
}

/** questionPanels are the sections under a question: its answers, and for
 * a partner's question the form that answers it. */
export function questionPanels(v, own, ctx) {
  const list = el('div', { id: 'answers-list', 'aria-live': 'polite' }, el('p', { class: 'muted' }, 'Loading the answers…'));
  const load = async () => {
    try {
      const answers = await answersTo(v.feed, v.seq, ctx);
      fill(list, answersTable(answers, own ? v.feed : ''));
    } catch (e) {
      if (e.name !== 'AbortError') fill(list, errorBox(e, 'Could not load the answers. '));
    }
  };
  load();
  const live = debounce(load, 300);
  ctx.onEvent((ev) => {
    if (ev.kind === 'entry_received' || ev.kind === 'entry_published' || ev.kind === 'missed') live();
  });
  const panels = [el('section', { class: 'panel', id: 'answers' }, el('h2', {}, 'Answers'), list)];
  if (!own) panels.push(api.can('clerk') ? answerForm(v, ctx, load) : el('section', { class: 'panel' }, el('h2', {}, 'Answer this question'), roleNeeded('clerk', 'answer questions')));
  return panels;
}

function answersTable(answers, asker) {
  if (answers.length === 0) {
    return empty(asker ? 'No answer yet. The partners asked answer from their own dashboard; their answer appears here.'
      : 'Not answered yet: answer it with the form below.');
  }
  return table(['From', 'Time', 'Status', 'Answer'], answers.map((a) => row([
    el('a', { href: '#/records/' + api.path(a.feed, a.seq) }, a.feed + ' #' + a.seq),
    el('span', { title: a.time }, when(a.time)),
    statusLabel(a.record.status),
    el('span', { class: 'answer-text' }, a.record.answer),
  ], { dataset: { feed: a.feed, seq: String(a.seq) } })), { id: 'answers-table' });
}

/** answerForm answers a partner's question: an anomaly answer record to
 * the asker only. */
function answerForm(v, ctx, reload) {
  const out = el('div', { id: 'answer-result', 'aria-live': 'polite' });
  const to = { value: () => [v.feed] };
  const form = el('form', { id: 'answer-form', class: 'record-form', novalidate: true },
    el('p', {}, 'Your answer goes to ' + v.feed + ' only, as an anomaly answer record.'),
    choice('status', 'Status', STATUS, 'answered'),
    textarea('answer', 'Your answer', { rows: 5, required: true }, 'At most 10 000 characters.'),
    el('button', { type: 'submit', class: 'primary', id: 'answer-button' }, 'Send the answer'),
    out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const build = () => ({ version: 1, query: { feed: v.feed, seq: v.seq }, status: text(form, 'status'), answer: text(form, 'answer') });
    const p = await publish('anomaly_answer', form, to, build, out, ctx);
    if (p) {
      form.querySelector('[name=answer]').value = '';
      reload();
    }
  });
  return el('section', { class: 'panel' }, el('h2', {}, 'Answer this question'), form);
}

/** questionLink is the link from an answer to the question it answers. */
export function questionLink(v) {
  const q = v.record && v.record.query;
  if (!q) return null;
  return section('The question', el('p', {}, 'This answers ',
    el('a', { href: '#/records/' + api.path(q.feed, q.seq), id: 'question-link' }, 'the question ' + q.feed + ' #' + q.seq), '.'));
}
