// Send a notice: the four kinds of enforcement notice (docs/records.md §8),
// each with its own fields.

import * as api from '../api.js';
import { el, fill, section } from '../dom.js';
import { NOTICE_KINDS } from '../format.js';
import { status, recipients, roleNeeded } from './common.js';
import { filesField, uploadFiles } from './attachments.js';
import { input, textarea, choice, checks, text, checked, lines, list, integer, compact, today, publish, participantInput, participantList } from './form.js';

const DEFECTS = [
  ['number_out_of_range', 'The number is outside the issuer\'s range'],
  ['parcel_number_pattern', 'The parcel numbers do not follow the issuer\'s pattern'],
  ['layout_unlike_specimen', 'The layout is unlike the specimen'],
  ['other', 'Other (explain below)'],
];
const SHIPMENT_STATUSES = [['under_investigation', 'Under investigation'], ['seized', 'Seized'], ['released', 'Released'], ['closed', 'Closed']];
const ROLES = [['exporter', 'Exporter'], ['importer', 'Importer'], ['carrier', 'Carrier'], ['other', 'Other']];
const MEASURES = [['inspect_shipments', 'Inspect shipments'], ['report_attempted_shipments', 'Report attempted shipments'], ['other', 'Other (explain below)']];
const PARTICIPANT_STATUSES = [['suspended', 'Suspended'], ['voluntarily_suspended', 'Voluntarily suspended'], ['removed', 'Removed'], ['readmitted', 'Readmitted']];
const HS = [['', 'Not given'], ['7102.10', '7102.10 unsorted'], ['7102.21', '7102.21 industrial'], ['7102.31', '7102.31 gem']];

export async function noticePage(view, ctx) {
  if (!api.can('clerk')) return fill(view, el('h1', {}, 'Send a notice'), roleNeeded('clerk', 'send notices'));
  const s = await status(ctx);
  const [to, datalist] = await Promise.all([recipients(ctx), participantList(ctx)]);
  const out = el('div', { id: 'notice-result', 'aria-live': 'polite' });
  const kinds = { fraudulent_certificate: fraudPart(s), suspicious_shipment: shipmentPart(), enhanced_vigilance: vigilancePart(), participant_status_change: statusPart() };
  const kindSel = choice('kind', 'Kind of notice', NOTICE_KINDS, 'fraudulent_certificate');
  const files = filesField('notice-files');
  const form = el('form', { id: 'notice-form', class: 'record-form', novalidate: true },
    kindSel,
    datalist,
    input('reference', 'Your reference', { required: true, placeholder: s.participant + '-N-' + new Date().getFullYear() + '-0001' }, 'Letters, digits and . _ / -, as your office numbers its notices.'),
    input('issued', 'Date of the notice', { type: 'date', value: today(), required: true }),
    input('title', 'Title', { required: true }, 'One line that says what happened, at most 200 characters.'),
    textarea('details', 'Details (optional)', { rows: 4 }),
    Object.entries(kinds).map(([k, part]) => el('div', { class: 'kind-part', dataset: { kind: k } }, part)),
    files.node,
    to.node,
    el('button', { type: 'submit', class: 'primary' }, 'Send the notice'),
    out);
  const kind = () => text(form, 'kind');
  const showKind = () => form.querySelectorAll('.kind-part').forEach((p) => { p.hidden = p.dataset.kind !== kind(); });
  kindSel.querySelector('select').addEventListener('change', showKind);
  showKind();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    publish('notice', form, to, async () => {
      const rec = build(form, kind());
      const named = await uploadFiles(files.files(), ctx, (done, total) => fill(out, done === total ? null : el('p', { class: 'muted', role: 'status' },
        'Sealing the files: ' + Math.floor(100 * done / total) + '% (' + mib(done) + ' of ' + mib(total) + ' MiB)…')));
      if (named.length) rec.attachments = named;
      return rec;
    }, out, ctx);
  });
  fill(view, el('h1', {}, 'Send a notice'),
    el('p', {}, 'An enforcement notice tells partners about a fraudulent certificate, a suspicious shipment, a call for enhanced vigilance or a change in a participant\'s status. It is signed by this node and only the partners you choose can read it.'),
    section('The notice', form));
}

const mib = (n) => (n / (1 << 20)).toFixed(1);

function build(form, kind) {
  const rec = compact({ version: 1, kind, reference: text(form, 'reference'), issued: text(form, 'issued'), title: text(form, 'title'), details: text(form, 'details') });
  const part = BUILDERS[kind];
  if (part) rec[kind] = part(form);
  return rec;
}

const BUILDERS = {
  fraudulent_certificate: (f) => {
    const fake = text(f, 'fraudulent_certificate.issuer_confirmed_fake');
    return compact({
      detected_by: text(f, 'fraudulent_certificate.detected_by').toUpperCase(),
      purported_issuer: text(f, 'fraudulent_certificate.purported_issuer').toUpperCase(),
      certificate_numbers: lines(text(f, 'fraudulent_certificate.certificate_numbers')),
      defects: checked(f, 'fraudulent_certificate.defects'),
      defect_details: text(f, 'fraudulent_certificate.defect_details'),
      issuer_confirmed_fake: fake === '' ? null : fake === 'yes',
      action_requested: text(f, 'fraudulent_certificate.action_requested'),
    });
  },
  suspicious_shipment: (f) => compact({
    certificate_number: text(f, 'suspicious_shipment.certificate_number'),
    shipment: compact({
      carats: text(f, 'suspicious_shipment.shipment.carats'),
      value_usd: text(f, 'suspicious_shipment.shipment.value_usd'),
      parcels: integer(text(f, 'suspicious_shipment.shipment.parcels')),
      origin: list(text(f, 'suspicious_shipment.shipment.origin')),
      hs_code: text(f, 'suspicious_shipment.shipment.hs_code'),
    }),
    parties: parties(f),
    reason: text(f, 'suspicious_shipment.reason'),
    status: text(f, 'suspicious_shipment.status'),
  }),
  enhanced_vigilance: (f) => compact({
    origin: text(f, 'enhanced_vigilance.origin').toUpperCase(),
    area: text(f, 'enhanced_vigilance.area'),
    from: text(f, 'enhanced_vigilance.from'),
    to: text(f, 'enhanced_vigilance.to'),
    measures: checked(f, 'enhanced_vigilance.measures'),
    instructions: text(f, 'enhanced_vigilance.instructions'),
  }),
  participant_status_change: (f) => compact({
    participant: text(f, 'participant_status_change.participant').toUpperCase(),
    status: text(f, 'participant_status_change.status'),
    effective: text(f, 'participant_status_change.effective'),
    conditions: text(f, 'participant_status_change.conditions'),
  }),
};

function parties(f) {
  return [...f.querySelectorAll('.party')].map((p, i) => {
    const at = 'suspicious_shipment.parties[' + i + '].';
    return compact({ role: text(p, at + 'role'), name: text(p, at + 'name'), country: text(p, at + 'country').toUpperCase() });
  }).filter((p) => p.name || p.country);
}

function fraudPart(s) {
  const p = 'fraudulent_certificate.';
  return [
    participantInput(p + 'detected_by', 'Detected by (participant)', { value: s.participant, required: true }),
    participantInput(p + 'purported_issuer', 'Claimed issuer (participant)', { required: true }),
    textarea(p + 'certificate_numbers', 'Certificate numbers', { rows: 3, required: true }, 'One per line, as printed on the certificate.'),
    checks(p + 'defects', 'What is wrong with it', DEFECTS, true),
    textarea(p + 'defect_details', 'Details of the defects', {}, 'Required when you tick "Other".'),
    choice(p + 'issuer_confirmed_fake', 'Has the issuer confirmed it is fake?', [['', 'Not yet known'], ['yes', 'Yes'], ['no', 'No']]),
    textarea(p + 'action_requested', 'What you ask partners to do', { required: true }),
  ];
}

function shipmentPart() {
  const p = 'suspicious_shipment.';
  const partyList = el('div', { class: 'parties' });
  const addParty = () => partyList.append(partyRow(partyList.children.length));
  addParty();
  return [
    input(p + 'certificate_number', 'Certificate number (optional)'),
    el('div', { class: 'columns' },
      input(p + 'shipment.carats', 'Carats', { inputmode: 'decimal', placeholder: '12.50', required: true }, 'Use a point for decimals, at most two.'),
      input(p + 'shipment.value_usd', 'Value in USD (optional)', { inputmode: 'decimal' }),
      input(p + 'shipment.parcels', 'Parcels (optional)', { inputmode: 'numeric' })),
    el('div', { class: 'columns' },
      input(p + 'shipment.origin', 'Origin (optional)', { placeholder: 'CI, CD or MIXED' }, 'Country codes separated by commas, or MIXED.'),
      choice(p + 'shipment.hs_code', 'HS code (optional)', HS)),
    el('fieldset', { class: 'field', dataset: { field: p + 'parties' } }, el('legend', {}, 'People and companies involved'), partyList,
      el('button', { type: 'button', class: 'small', on: { click: addParty } }, 'Add another'),
      el('p', { class: 'field-error', hidden: true })),
    textarea(p + 'reason', 'Why it is suspicious', { required: true }),
    choice(p + 'status', 'Status of the shipment', SHIPMENT_STATUSES),
  ];
}

function partyRow(i) {
  const at = 'suspicious_shipment.parties[' + i + '].';
  return el('div', { class: 'party columns' },
    choice(at + 'role', 'Role', ROLES),
    input(at + 'name', 'Name', { required: i === 0 }),
    participantInput(at + 'country', 'Country (optional)', {}, ''));
}

function vigilancePart() {
  const p = 'enhanced_vigilance.';
  return [
    participantInput(p + 'origin', 'Origin to watch (country)', { required: true }),
    input(p + 'area', 'Area (optional)', {}, 'For example "Bria zone".'),
    el('div', { class: 'columns' },
      input(p + 'from', 'From', { type: 'date', value: today(), required: true }),
      input(p + 'to', 'Until (optional)', { type: 'date' }, 'Leave empty for no end date.')),
    checks(p + 'measures', 'What partners should do', MEASURES, true),
    textarea(p + 'instructions', 'Instructions', {}, 'Required when you tick "Other".'),
  ];
}

function statusPart() {
  const p = 'participant_status_change.';
  return [
    participantInput(p + 'participant', 'Participant', { required: true }),
    choice(p + 'status', 'New status', PARTICIPANT_STATUSES),
    input(p + 'effective', 'In effect from', { type: 'date', value: today(), required: true }),
    textarea(p + 'conditions', 'Conditions (optional)'),
  ];
}
