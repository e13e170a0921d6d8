// Issue a certificate: one KP certificate (docs/records.md §3), with its
// scan and photos (the files field of attachments.js), sent to its
// destination. Bulk certificates come in through the import page.

import { el, fill, section } from '../dom.js';
import * as api from '../api.js';
import { status, recipients, roleNeeded } from './common.js';
import { filesField, uploadFiles } from './attachments.js';
import { input, choice, text, list, integer, compact, today, publish, participantInput, participantList } from './form.js';

const HS = [['', 'No line'], ['7102.10', '7102.10 unsorted'], ['7102.21', '7102.21 industrial'], ['7102.31', '7102.31 gem']];
const LINES = 3;

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
    Array.from({ length: LINES }, (_, i) => el('div', { class: 'columns', dataset: { line: String(i) } },
      choice('lines[' + i + '].hs_code', 'Line ' + (i + 1) + ': HS code', HS, i === 0 ? '7102.31' : ''),
      input('lines[' + i + '].carats', 'Carats', { inputmode: 'decimal' }),
      input('lines[' + i + '].value_usd', 'Value (US dollars)', { inputmode: 'decimal' }))),
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
      participantInput(role + '.country', 'Country', { required: true }, '')));
}

function build(form, issuer) {
  const lines = [];
  for (let i = 0; i < LINES; i++) {
    const p = 'lines[' + i + '].';
    if (text(form, p + 'hs_code') === '') continue;
    lines.push({ hs_code: text(form, p + 'hs_code'), carats: text(form, p + 'carats'), value_usd: text(form, p + 'value_usd') });
  }
  const party = (role) => ({ name: text(form, role + '.name'), licence: text(form, role + '.licence'), country: text(form, role + '.country').toUpperCase() });
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
