// Issue a certificate: one KP certificate (docs/records.md §3), with its
// scan and photos (the files field of attachments.js), sent to its
// destination. Bulk certificates come in through the import page.

import { el, fill, section } from '../dom.js';
import * as api from '../api.js';
import { status, recipients, roleNeeded } from './common.js';
import { filesField, uploadFiles } from './attachments.js';
import { input, textarea, choice, text, list, integer, compact, today, publish, participantInput, participantList } from './form.js';

const HS = [['', 'Choose…'], ['7102.10', '7102.10 unsorted'], ['7102.21', '7102.21 industrial'], ['7102.31', '7102.31 gem']];
// MAX_LINES is the most lines a certificate has (docs/records.md §3).
const MAX_LINES = 20;

export async function certificatePage(view, ctx) {
  if (!api.can('clerk')) return fill(view, el('h1', {}, 'Issue a certificate'), roleNeeded('clerk', 'issue certificates'));
  const s = await status(ctx);
  const [to, datalist] = await Promise.all([recipients(ctx), participantList(ctx)]);
  const out = el('div', { id: 'certificate-result', 'aria-live': 'polite' });
  const files = filesField('certificate-files', { hint: 'The scan of the certificate and photos of the parcels: up to 20 files of at most 64 MiB each. Only the partners you send the certificate to can open them.' });
  const form = el('form', { id: 'certificate-form', class: 'record-form', novalidate: true },
    datalist,
    input('number', 'Certificate number', { required: true, placeholder: s.participant + '0001234' }),
    input('issuing_authority', 'Issuing authority', { required: true }),
    el('div', { class: 'columns' },
      input('issued', 'Date of issue', { type: 'date', value: today(), required: true }),
      input('expires', 'Date of expiry', { type: 'date', required: true })),
    trader('exporter', 'Exporter'), trader('importer', 'Importer'),
    el('div', { class: 'columns' },
      participantInput('destination', 'Destination', { required: true }),
      input('origin', 'Origin', { required: true, placeholder: 'BW;CD or MIXED' }, 'Country codes separated by ;, or MIXED.'),
      input('parcels', 'Parcels', { required: true, inputmode: 'numeric' })),
    lineRows().node,
    files.node,
    to.node,
    el('button', { type: 'submit', class: 'primary' }, 'Issue the certificate'),
    out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    publish('certificate', form, to, async () => {
      const rec = build(form, s.participant);
      const named = await uploadFiles(files.files(), ctx);
      if (named.length) rec.attachments = named;
      return rec;
    }, out, ctx);
  });
  fill(view, el('h1', {}, 'Issue a certificate'),
    el('p', {}, 'One Kimberley Process certificate, signed by this node and sent to the partners you choose (its destination). To bring many, ', el('a', { href: '#/import' }, 'import a file'), '.'),
    section('The certificate', form));
}

function trader(role, label) {
  return el('fieldset', { class: 'field' }, el('legend', {}, label),
    el('div', { class: 'columns' },
      input(role + '.name', 'Name', { required: true }),
      input(role + '.licence', 'Licence', { required: true }),
      participantInput(role + '.country', 'Country', { required: true }, '')),
    textarea(role + '.address', 'Address', {}, 'As printed on the certificate; optional.'));
}

/** lineRows is the certificate's lines: one to MAX_LINES rows, each with a
 * button that removes it, and a button that adds one. Rows are numbered in
 * order (their fields lines[i].…, where the node's errors land) and
 * renumbered when one goes; focus moves to the row added, or to the row
 * that takes the place of the one removed. */
function lineRows() {
  const rows = el('div', { id: 'certificate-lines' });
  const add = el('button', { type: 'button', id: 'certificate-add-line' }, 'Add a line');
  const renumber = () => {
    const all = [...rows.children];
    all.forEach((r, i) => numberLine(r, i, all.length));
    add.disabled = all.length >= MAX_LINES;
  };
  const addRow = (hs) => {
    const row = el('fieldset', { class: 'field line' },
      el('legend', {}),
      el('div', { class: 'columns' },
        choice('hs_code', 'HS code', HS, hs),
        input('carats', 'Carats', { inputmode: 'decimal', required: true }),
        input('value_usd', 'Value (US dollars)', { inputmode: 'decimal', required: true })),
      el('button', { type: 'button', class: 'link remove-line', on: { click: () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber();
        (next ? next.querySelector('select') : add).focus();
      } } }));
    rows.append(row);
    renumber();
    return row;
  };
  add.addEventListener('click', () => addRow('').querySelector('select').focus());
  addRow('7102.31');
  return { node: el('div', { class: 'lines' }, el('h3', { id: 'certificate-lines-title' }, 'Lines'),
    el('p', { class: 'hint' }, 'One line per HS code, in the certificate\'s order: 1 to ' + MAX_LINES + '.'), rows, add) };
}

/** numberLine names row i of n: its legend, its fields' paths and its
 * remove button (kept when it is the only row, disabled). */
function numberLine(row, i, n) {
  row.dataset.line = String(i);
  row.querySelector('legend').textContent = 'Line ' + (i + 1);
  for (const c of row.querySelectorAll('[data-field]')) {
    const member = c.dataset.field.slice(c.dataset.field.lastIndexOf('.') + 1);
    c.dataset.field = c.name = 'lines[' + i + '].' + member;
    c.closest('.field').dataset.for = c.dataset.field;
  }
  for (const l of row.querySelectorAll('label')) {
    const c = row.querySelector('#' + CSS.escape(l.htmlFor));
    const name = { hs_code: 'HS code', carats: 'Carats', value_usd: 'Value (US dollars)' }[c.dataset.field.slice(c.dataset.field.lastIndexOf('.') + 1)];
    l.firstChild.textContent = 'Line ' + (i + 1) + ': ' + name;
  }
  const remove = row.querySelector('.remove-line');
  remove.textContent = 'Remove line ' + (i + 1);
  remove.disabled = n === 1;
}

function build(form, issuer) {
  const lines = [...form.querySelectorAll('#certificate-lines > [data-line]')].map((_, i) => {
    const p = 'lines[' + i + '].';
    return { hs_code: text(form, p + 'hs_code'), carats: text(form, p + 'carats'), value_usd: text(form, p + 'value_usd') };
  });
  const party = (role) => compact({ name: text(form, role + '.name'), licence: text(form, role + '.licence'),
    country: text(form, role + '.country').toUpperCase(), address: text(form, role + '.address') });
  return compact({
    version: 1, number: text(form, 'number').toUpperCase(), issuer, issuing_authority: text(form, 'issuing_authority'),
    issued: text(form, 'issued'), expires: text(form, 'expires'), exporter: party('exporter'), importer: party('importer'),
    destination: text(form, 'destination').toUpperCase(), origin: list(text(form, 'origin')), parcels: integer(text(form, 'parcels')),
    lines, total_carats: sum(lines, 'carats'), total_value_usd: sum(lines, 'value_usd'),
  });
}

/** sum adds the amounts of a member of the lines in hundredths, as the
 * node does, or is undefined when one is not an amount (the node then
 * names that line's field). */
function sum(lines, member) {
  let total = 0n;
  for (const l of lines) {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(l[member]);
    if (!m) return undefined;
    total += BigInt(m[1]) * 100n + BigInt((m[2] || '').padEnd(2, '0'));
  }
  const cents = String(total % 100n).padStart(2, '0');
  return String(total / 100n) + '.' + cents;
}
