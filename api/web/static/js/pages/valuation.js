// The unit-value table form: load the operator's valuation table (the
// WGDE's Valuation Data Matrix as a CSV file) that the unit-value rule
// (R8) lays over the built-in table. A preview checks the file and shows
// its rows without changing anything; a refused file shows its problem
// row by row.

import * as api from '../api.js';
import { el, fill, table, row, errorBox, okBox, field, plural } from '../dom.js';

/** valuationForm returns the form, for the import page. */
export function valuationForm(ctx) {
  const file = el('input', { type: 'file', id: 'valuation-file', name: 'valuation-file', accept: '.csv,text/csv', required: true });
  const dry = el('input', { type: 'checkbox', id: 'valuation-dry-run', checked: true });
  const out = el('div', { id: 'valuation-result', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', class: 'primary', id: 'valuation-button' }, 'Check the table');
  dry.addEventListener('change', () => { button.textContent = dry.checked ? 'Check the table' : 'Check and load the table'; });
  const form = el('form', { id: 'valuation-form', class: 'record-form' },
    field('Valuation table', file, ['A CSV file with the columns origin, hs_code, year, usd_per_carat and source (',
      el('a', { href: '#/reference?section=16.', id: 'valuation-format-link' }, 'record formats'),
      '). It replaces the table loaded before; rows it lacks come from the built-in table.']),
    el('label', { class: 'check', for: dry.id }, dry, ' Preview only: check the table and show its rows; change nothing'),
    button, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load({ file: file.files[0], dryRun: dry.checked, out, button, ctx });
  });
  return form;
}

async function load({ file, dryRun, out, button, ctx }) {
  if (!file) {
    fill(out, errorBox({ message: 'Choose a file first.' }, 'Not loaded. '));
    return;
  }
  button.disabled = true;
  fill(out, el('p', { class: 'muted' }, 'Checking ' + file.name + '…'));
  const q = api.query({ file: file.name, dry_run: dryRun ? 'true' : '' });
  try {
    const res = await api.request('POST', '/api/valuation' + q, { body: file, signal: ctx.signal, headers: { 'Content-Type': 'text/csv' } });
    fill(out, dryRun ? preview(res, file.name) : loaded(res, file.name));
  } catch (e) {
    fill(out, refused(e, file.name));
  } finally {
    button.disabled = false;
  }
}

function preview(res, name) {
  return el('div', { id: 'valuation-preview' },
    okBox(el('strong', {}, name + ' is correct. '), plural(res.rows, 'row', 'rows') + ', of which ' + res.replaced +
      ' replace a built-in row. Nothing was changed: untick “Preview only” to load it.'),
    table(['Origin', 'HS code', 'Year', 'USD per carat', 'Source', 'Replaces a built-in row'], (res.preview || []).map((r) => row([
      r.origin, r.hs_code, String(r.year), r.usd_per_carat, r.source, r.replaces ? 'yes' : 'no',
    ])), { id: 'valuation-rows' }));
}

function loaded(res, name) {
  return okBox(el('strong', {}, 'Loaded ' + name + '. '), plural(res.rows, 'row', 'rows') + ' now set the unit-value reference (' +
    res.replaced + ' replacing built-in rows). Unit-value findings: ' + res.findings_changed + ' raised or changed, ' +
    res.findings_cleared + ' cleared. The load is recorded in the audit log.');
}

function refused(e, name) {
  if (e.code !== 'invalid_valuation' || !e.rows) return errorBox(e, 'Nothing was changed. ');
  return el('div', { id: 'valuation-errors' },
    errorBox(e, 'The table was refused. '),
    el('p', {}, 'Correct these lines in ' + name + ' and check the table again:'),
    table(['File', 'Line', 'Column', 'What is wrong'], e.rows.map((r) => row([r.file, String(r.row || ''), r.column || '', r.reason])), { id: 'valuation-problems' }));
}
