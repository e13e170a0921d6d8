// format.js: record types and findings in plain words.

import { number } from './dom.js';

/** TYPES lists the record types (docs/records.md) with their labels. */
export const TYPES = [
  ['certificate', 'Certificate'],
  ['pre_notification', 'Pre-notification'],
  ['import_confirmation', 'Import confirmation'],
  ['trade_statistics', 'Trade statistics'],
  ['production_statistics', 'Production statistics'],
  ['notice', 'Notice'],
  ['anomaly_query', 'Anomaly query'],
  ['anomaly_answer', 'Anomaly answer'],
  ['acknowledgement', 'Acknowledgement'],
  ['withdrawal', 'Withdrawal'],
  ['annual_report', 'Annual report'],
  ['footprint_sample', 'Footprint sample'],
  ['batch', 'Batch (an imported file)'],
];

const LABELS = Object.fromEntries(TYPES);

/** IMPORTABLE are the types an import packs into batch entries. */
export const IMPORTABLE = new Set(['certificate', 'pre_notification', 'import_confirmation', 'trade_statistics', 'production_statistics']);

/** typeLabel names a record type for a sentence ("import confirmation"). */
export function typeLabel(type) {
  return (LABELS[type] || String(type || 'unknown').replace(/_/g, ' ')).replace(/ \(.*\)$/, '').toLowerCase();
}

/** TypeLabel names a record type for a heading ("Import confirmation"). */
export function TypeLabel(type) {
  const s = typeLabel(type);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const NOTICE_KINDS = [
  ['fraudulent_certificate', 'Fraudulent certificate'],
  ['suspicious_shipment', 'Suspicious shipment'],
  ['enhanced_vigilance', 'Enhanced vigilance'],
  ['participant_status_change', 'Participant status change'],
];

const NOTICE_LABELS = Object.fromEntries(NOTICE_KINDS);

export const SEVERITIES = [
  ['critical', 'Critical'],
  ['warning', 'Warning'],
  ['info', 'For information'],
];

export const RULES = [
  ['R1', 'R1 · certificate and confirmation disagree'],
  ['R2', 'R2 · shipment not confirmed'],
  ['R3', 'R3 · unknown certificate'],
  ['R4', 'R4 · duplicate certificate'],
  ['R5', 'R5 · eligibility'],
  ['R6', 'R6 · dates out of order'],
  ['R7', 'R7 · arithmetic or classification'],
  ['R8', 'R8 · unusual unit value'],
  ['R9', 'R9 · mirror statistics disagree'],
  ['R10', 'R10 · certificates vs statistics'],
  ['R11', 'R11 · period over period'],
  ['R12', 'R12 · production vs exports'],
  ['R13', 'R13 · written in another authority\'s name'],
];

/** ruleLabel names a rule: "R1 · certificate and confirmation disagree". */
export function ruleLabel(rule) {
  const r = RULES.find(([id]) => id === rule);
  return r ? r[1] : rule;
}

/** summary is one line saying what a record is about. */
export function summary(type, r) {
  if (!r || typeof r !== 'object') return '';
  const f = SUMMARIES[type];
  try {
    return f ? f(r) : '';
  } catch {
    return '';
  }
}

const ct = (v) => number(v) + ' ct';
const usd = (v) => 'USD ' + number(v);

const SUMMARIES = {
  certificate: (r) => r.number + ': ' + r.exporter.name + ' → ' + r.importer.name + ' (' + r.destination + '), ' + ct(r.total_carats) + ', ' + usd(r.total_value_usd),
  pre_notification: (r) => r.certificate_number + ' shipped ' + r.shipped + ': ' + ct(r.carats) + ', ' + usd(r.value_usd) + ' to ' + r.importer.name,
  import_confirmation: (r) => r.certificate_number + ' (issued by ' + r.issuer + ') received ' + r.received + ': ' + ct(r.carats_received) + (r.contents_match === false ? ', contents do not match' : ''),
  trade_statistics: (r) => r.reporter + ' ' + r.period + ' ' + r.flow + (r.flow === 'export' ? ' to ' : ' from ') + r.partner + ', HS ' + r.hs_code + ': ' + ct(r.carats) + ', ' + usd(r.value_usd),
  production_statistics: (r) => r.reporter + ' ' + r.period + ' production: ' + ct(r.carats) + ', ' + usd(r.value_usd),
  notice: (r) => (NOTICE_LABELS[r.kind] || r.kind) + ': ' + r.title,
  anomaly_query: (r) => r.reference + ' about ' + r.period + ': ' + r.subject + ' (answer by ' + r.due + ')',
  anomaly_answer: (r) => 'Answer to ' + r.query.feed + ' #' + r.query.seq + ' (' + r.status.replace(/_/g, ' ') + ')',
  acknowledgement: (r) => 'Acknowledges notice ' + r.of.feed + ' #' + r.of.seq + (r.remarks ? ': ' + r.remarks : ''),
  withdrawal: (r) => 'Withdraws entry #' + r.supersedes.seq + ': ' + r.reason,
  annual_report: (r) => r.reporter + ' annual report ' + r.year + (r.resolves && r.resolves.length ? ', resolves ' + r.resolves.length + (r.resolves.length === 1 ? ' finding' : ' findings') : ''),
  footprint_sample: (r) => r.sample_id + ': ' + r.deposit + ' (' + r.origin + '), ' + r.method.replace(/_/g, ' ') + ' by ' + r.laboratory,
  batch: (r) => 'Batch of ' + r.items.length + ' ' + typeLabel(r.type) + (r.items.length === 1 ? '' : ' records'),
};
