// The annual report on KPCS implementation: the sections the Guidelines
// on annual reports ask for, the findings the report resolves, and the
// partners who read it (every partner, or those chosen).

import { el, fill, section } from '../dom.js';
import { status, recipients, roleNeeded } from './common.js';
import * as api from '../api.js';
import { input, textarea, text, compact, integer, publish } from './form.js';

/** SECTIONS are the report's sections: member, label, hint. */
const SECTIONS = [
  ['legislation_institutions', 'Legislation and institutions', 'The laws that implement the KPCS and the authorities that apply them; what changed this year.'],
  ['import_export_regime', 'Import and export regime and controls', 'How rough diamonds enter and leave: ports, checks against certificates, licensing.'],
  ['statistics', 'Statistics', 'The statistics submitted for the year, late or corrected ones and why.'],
  ['enforcement', 'Enforcement and infringements', 'Seizures, fraudulent certificates, penalties.'],
  ['review_visits', 'Follow-up to review visits', 'What was done on the recommendations of review visits.'],
  ['discrepancies', 'Resolution of trade and statistical discrepancies', 'Mirror gaps and anomaly queries of the year and how they were resolved.'],
  ['artisanal_production', 'Artisanal and alluvial production', 'Controls on artisanal and alluvial mining, or "not applicable".'],
];

export async function reportPage(view, ctx) {
  if (!api.can('clerk')) return fill(view, el('h1', {}, 'Annual report'), roleNeeded('clerk', 'publish the annual report'));
  const s = await status(ctx);
  const to = await recipients(ctx);
  const out = el('div', { id: 'report-result', 'aria-live': 'polite' });
  const form = el('form', { id: 'report-form', class: 'record-form', novalidate: true },
    input('year', 'Year covered', { value: String(new Date().getFullYear() - 1), required: true, inputmode: 'numeric' }, 'The calendar year the report is about; it is due by 31 March of the next year.'),
    ...SECTIONS.map(([m, label, hint]) => textarea('sections.' + m, label, { rows: 4, required: true }, hint)),
    textarea('resolves', 'Findings this report resolves (optional)', { rows: 2, text: ctx.params.get('resolves') || '' },
      'Finding ids, one per line or separated by spaces, such as R11/' + s.participant + '/trade-statistics/missing. Each finding then shows this report.'),
    to.node,
    el('button', { type: 'submit', class: 'primary' }, 'Publish the report'),
    out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    publish('annual_report', form, to, () => build(form, s.participant), out, ctx);
  });
  fill(view, el('h1', {}, 'Annual report'),
    el('p', {}, 'This node\'s yearly account of how it implements the KPCS. Every partner you send it to reads it; the submission calendar counts it received on the day it is published.'),
    section('The report', form));
}

function build(form, reporter) {
  const sections = Object.fromEntries(SECTIONS.map(([m]) => [m, text(form, 'sections.' + m)]));
  const resolves = text(form, 'resolves').split(/[\s,;]+/).filter(Boolean);
  return compact({ version: 1, reporter, year: integer(text(form, 'year')), sections, resolves });
}
