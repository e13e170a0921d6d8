// Import a file: a CSV or JSON file of certificates, confirmations or
// statistics, checked row by row before anything is published.

import * as api from '../api.js';
import { el, fill, section, table, row, errorBox, okBox, field, select, plural } from '../dom.js';
import { status, recipients, roleNeeded } from './common.js';
import { valuationForm } from './valuation.js';
import { filesField, uploadFiles, placeholderFiles } from './attachments.js';
import { attachmentCells, matchFiles } from './importfiles.js';

const KINDS = [
  ['certificates', 'Certificates'],
  ['pre-notifications', 'Pre-notifications (export notices)'],
  ['confirmations', 'Import confirmations'],
  ['trade-statistics', 'Trade statistics (quarterly)'],
  ['production-statistics', 'Production statistics (half-yearly)'],
  ['annual-reports', 'Annual reports (one row per report)'],
];

export async function importPage(view, ctx) {
  if (!api.can('clerk')) return fill(view, el('h1', {}, 'Import a file'), roleNeeded('clerk', 'import files or load a valuation table'));
  const own = (await status(ctx)).participant;
  const to = await recipients(ctx, 'import-to');
  const kind = select({ id: 'import-kind', name: 'kind' }, KINDS, ctx.params.get('kind') || 'certificates');
  const file = el('input', { type: 'file', id: 'import-file', name: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const dry = el('input', { type: 'checkbox', id: 'import-dry-run' });
  const nonParty = el('input', { type: 'checkbox', id: 'import-allow-non-party', 'aria-describedby': 'import-non-party-help' });
  const files = filesField('import-files', { folders: true, hint: 'The files the table\'s attachments column names: scans of the certificates, photos of the parcels (up to 20 a certificate, 64 MiB a file). A path in the column matches the file at that path from the table\'s folder when you choose or drop the folder, else the file chosen here with its name (refused when the table names two files of that name in different folders). Only the partners a certificate goes to can open its files.' });
  const filesBox = el('div', { id: 'import-files-field' }, files.node);
  const showFiles = () => { filesBox.hidden = kind.value !== 'certificates'; };
  kind.addEventListener('change', showFiles);
  showFiles();
  const out = el('div', { id: 'import-result', 'aria-live': 'polite' });
  const progress = el('div', { id: 'import-progress' });
  const running = { id: '' }; // the import_id of the import running, '' when none
  ctx.onEvent((ev) => {
    if (ev.kind === 'import_progress' && running.id && ev.fields.import_id === running.id) showPhase(progress, ev.fields);
  });
  const button = el('button', { type: 'submit', class: 'primary', id: 'import-button' }, 'Check and import');
  const form = el('form', { id: 'import-form', class: 'record-form' },
    field('What the file holds', kind),
    field('File', file, ['A CSV file (first line: the column names) or a JSON file, in the ', el('a', { href: '#/reference?section=16.', id: 'formats-link' }, 'record formats'), ' this node accepts. Each line is checked first; if any line is wrong, nothing is imported.']),
    filesBox,
    to.node,
    el('p', { class: 'muted', id: 'import-to-help' }, 'Leave every partner unticked to send each record to the partners party to it (a certificate to its destination, a confirmation to the exporting authority, statistics to the partner named; an annual report to every partner). A ticked partner that is not party to a record is refused.'),
    el('label', { class: 'check', for: nonParty.id }, nonParty, ' Also send to ticked partners that are not party to a record'),
    el('p', { class: 'warning', id: 'import-non-party-help' }, 'Only with your authority\'s agreement: a partner not party to a record (neither its destination, nor its source, nor the partner its statistics name) then reads a record it has no part in, and cannot unread it. Such an import is recorded in the audit log with those partners.'),
    el('label', { class: 'check', for: dry.id }, dry, ' Only check the file; do not publish anything'),
    button, progress, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = kind.value === 'certificates' ? files.items() : [];
    upload({ kind: kind.value, file: file.files[0], chosen, to: to.value(), dryRun: dry.checked, nonParty: nonParty.checked, out, progress, running, button, own, ctx });
  });
  fill(view, el('h1', {}, 'Import a file'),
    el('p', {}, 'Import records as your office keeps them. They are published to the partners you choose, packed into a few entries (annual reports one entry each). Importing the same file twice adds nothing. To issue one certificate, ', el('a', { href: '#/certificate', id: 'certificate-link' }, 'fill in its form'), '.'),
    section('The file', form),
    section('Unit-value table', el('p', {}, 'The unit-value rule (R8) compares each certificate line with a reference price per carat for its origin and HS code. Load the WGDE\'s Valuation Data Matrix here when it is updated; preview it first.'),
      valuationForm(ctx)));
}

async function upload({ kind, file, chosen, to, dryRun, nonParty, out, progress, running, button, own, ctx }) {
  if (!file) {
    fill(out, errorBox({ message: 'Choose a file first.' }, 'Not imported. '));
    return;
  }
  button.disabled = true;
  running.id = importId();
  fill(progress);
  fill(out, el('p', { class: 'muted' }, (dryRun ? 'Checking ' : 'Checking and importing ') + file.name + '…'));
  const q = api.query({ to: to.join(','), file: file.name, dry_run: dryRun ? 'true' : '', allow_non_party: nonParty ? 'true' : '',
    format: /\.json$/i.test(file.name) ? 'json' : 'csv', import_id: running.id });
  try {
    const body = await withFiles(file, chosen, dryRun, progress, ctx);
    const headers = body === file ? { 'Content-Type': 'application/octet-stream' } : {}; // FormData: the browser sets multipart
    const res = await api.request('POST', '/api/imports/' + api.path(kind) + q, { body, signal: ctx.signal, headers });
    fill(out, result(res, file.name, own));
  } catch (e) {
    fill(out, failure(e, file.name));
  } finally {
    button.disabled = false;
  }
}

/** withFiles is the body of an import of file with the files chosen for
 * its attachments column (docs/api.md): the file alone when there are
 * none, else the table and the files it names, each under the path the
 * table names it by (importfiles.js), sealed first (on a dry run only
 * described, nothing uploaded) with their progress shown. */
async function withFiles(file, chosen, dryRun, progress, ctx) {
  if (!chosen.length) return file;
  const paths = /\.json$/i.test(file.name)
    ? new Map(chosen.map((it) => [it.file.name, it.file]))
    : matchFiles(attachmentCells(await file.text()), chosen);
  const unique = [...new Set(paths.values())];
  const named = dryRun ? placeholderFiles(unique)
    : await uploadFiles(unique, ctx, (done, total) => showPhase(progress, { phase: 'seal', done, total }));
  const member = new Map(unique.map((f, i) => [f, named[i]]));
  const body = new FormData();
  body.append('files', new Blob([JSON.stringify(Object.fromEntries([...paths].map(([p, f]) => [p, member.get(f)])))], { type: 'application/json' }));
  body.append('table', file);
  return body;
}

// The phases of an import, as its import_progress events name them
// (docs/api.md, "Events"), after the sealing of its files.
const PHASES = {
  seal: 'Sealing the files',
  parse: 'Validating the file',
  check: 'Checking against the records held',
  publish: 'Publishing',
};

/** importId is a new name for an import in its progress events. */
function importId() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** showPhase shows a phase's progress as a labelled progress bar, adding
 * the bar at the phase's first event. */
function showPhase(progress, f) {
  if (!PHASES[f.phase]) return;
  const id = 'import-progress-' + f.phase;
  let bar = document.getElementById(id);
  if (!bar) {
    const label = el('span', { id: id + '-label', class: 'phase-label' }, PHASES[f.phase]);
    bar = el('div', { id, role: 'progressbar', class: 'progress', 'aria-labelledby': label.id, 'aria-valuemin': '0', 'aria-valuemax': '100' },
      el('div', { class: 'progress-fill' }));
    progress.append(el('div', { class: 'import-phase' }, label, bar, el('span', { id: id + '-text', class: 'muted' })));
  }
  const pct = f.total > 0 ? Math.floor(f.done * 100 / f.total) : 100;
  const text = pct + ' % (' + (f.phase === 'seal' ? megabytes(f.done) + ' of ' + megabytes(f.total) + ' MB'
    : f.done.toLocaleString() + ' of ' + plural(f.total, 'record', 'records')) + ')';
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', text);
  bar.firstChild.style.width = pct + '%';
  document.getElementById(id + '-text').textContent = text;
}

function megabytes(n) {
  return (n / 1e6).toFixed(1);
}

function result(res, name, own) {
  const what = plural(res.records, 'record', 'records');
  const warnings = (res.warnings || []).map((w) => el('p', { class: 'warning', role: 'status' }, 'Note: ' + w));
  if (res.non_party && res.non_party.length) {
    warnings.unshift(el('p', { class: 'warning', role: 'status', id: 'import-non-party' }, (res.dry_run ? 'Would send' : 'Sent') + ' records to ' +
      res.non_party.join(', ') + ', not party to some of them, as you allowed' + (res.dry_run ? '; the import would be' : '; the import is') + ' recorded in the audit log.'));
  }
  if (res.dry_run) {
    return el('div', {}, okBox(el('strong', {}, name + ' is correct. '), what + ', of which ' + res.new + ' new. Nothing was published.'), ...warnings);
  }
  return el('div', {}, okBox(el('strong', {}, 'Imported ' + name + '. '),
    what + ': ' + res.new + ' new, ' + res.skipped + ' already sent before.' + (res.new ? '' : ' Nothing new to publish.')),
  res.entries && res.entries.length ? table(['Entry', 'Sent to', 'Size'], res.entries.map((e) => row([
    el('a', { href: '#/records/' + api.path(own, e.seq) }, '#' + e.seq),
    e.audience && e.audience.length ? e.audience.join(', ') : 'no partner (kept here only)',
    e.size.toLocaleString() + ' bytes',
  ]))) : null, ...warnings);
}

function failure(e, name) {
  if (e.code === 'invalid_import') {
    return el('div', { id: 'import-errors' },
      errorBox(e, 'The file was refused. '),
      el('p', {}, 'Correct these lines in ' + name + ' and import the file again:'),
      table(['File', 'Line', 'Column', 'What is wrong'], e.rows.map((r) => row([r.file, String(r.row || ''), r.column || '', r.reason])), { id: 'import-rows' }));
  }
  if (e.code === 'non_party') {
    return el('div', { id: 'import-non-party-refused' }, errorBox(e, 'Nothing was imported. '),
      el('p', {}, 'Untick the partners that are not party to these records, or leave every partner unticked to send each record to its parties. To send them anyway, with your authority\'s agreement, tick “Also send to ticked partners that are not party to a record”.'));
  }
  if (e.code === 'import_conflict') {
    return errorBox(e, 'Nothing was imported: a record in the file was already published with different data. To change a record, publish a correction. ');
  }
  return errorBox(e, 'Nothing was imported. ');
}
