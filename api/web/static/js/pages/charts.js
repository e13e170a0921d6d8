// Charts: mirror statistics with each partner (both sides' figures per
// quarter), unit values of certificate lines against the reference band,
// and the delivery backlog to each partner over time.

import * as api from '../api.js';
import { el, fill, section, table, row, empty, errorBox, field, select, number } from '../dom.js';
import { barChart, lineChart, scatterChart } from '../svg.js';
import { status } from './common.js';

const HS = [['', 'All HS codes'], ['7102.10', '7102.10 unsorted'], ['7102.21', '7102.21 industrial'], ['7102.31', '7102.31 gem']];
const MAX_POINTS = 3000;

export async function chartsPage(view, ctx) {
  const s = await status(ctx);
  const parts = { mirror: el('div', { id: 'chart-mirror' }), unit: el('div', { id: 'chart-unit' }), lag: el('div', { id: 'chart-lag' }) };
  fill(view, el('h1', {}, 'Charts'),
    section('Mirror statistics', el('p', {}, 'What you reported for your trade with a partner, next to what the partner reported for the same trade. Large gaps are worth a question.'), parts.mirror),
    section('Unit values of certificates', el('p', {}, 'US dollars per carat of each certificate line of the last two years, against the reference range the unit-value check uses (shaded).'), parts.unit),
    section('Delivery over time', el('p', {}, 'How many of our entries had not yet reached each partner\'s node, and how many of theirs we still had to fetch.'), parts.lag));
  const lag = () => guard(parts.lag, () => lagChart(parts.lag, ctx));
  await Promise.all([
    guard(parts.mirror, () => mirrorChart(parts.mirror, s.participant, ctx)),
    guard(parts.unit, () => unitChart(parts.unit, ctx)),
    lag(),
  ]);
  ctx.every(15000, lag);
}

async function guard(place, fn) {
  try {
    await fn();
  } catch (e) {
    if (e.name === 'AbortError') return;
    fill(place, e.status === 404 ? empty('This node does not offer this chart yet (' + e.message + ').') : errorBox(e, 'Could not draw this chart. '));
  }
}

// Mirror statistics.

async function mirrorChart(place, us, ctx) {
  const rows = (await api.get('/api/exports/trade-statistics?format=json', { signal: ctx.signal })) || [];
  const partners = [...new Set(rows.map((r) => (r.reporter === us ? r.partner : r.partner === us ? r.reporter : '')).filter(Boolean))].sort();
  if (partners.length === 0) {
    fill(place, empty('No trade statistics with a partner yet.', el('p', { class: 'hint' }, 'Import your quarterly statistics (Import a file → Trade statistics). A partner\'s figures appear when the partner sends theirs.')));
    return;
  }
  const pick = { partner: el('div'), hs: el('div'), measure: el('div') };
  const out = el('div');
  const draw = () => drawMirror(out, rows, us, value(pick.partner), value(pick.hs), value(pick.measure));
  fill(pick.partner, field('Partner', select({ id: 'mirror-partner', on: { change: draw } }, partners.map((p) => [p, p]), richest(rows, us, partners))));
  fill(pick.hs, field('HS code', select({ id: 'mirror-hs', on: { change: draw } }, HS, '')));
  fill(pick.measure, field('Measure', select({ id: 'mirror-measure', on: { change: draw } }, [['carats', 'Carats'], ['value_usd', 'Value (USD)'], ['certificates', 'Certificates']], 'carats')));
  fill(place, el('div', { class: 'filter-row' }, pick.partner, pick.hs, pick.measure), out);
  draw();
}

/** richest is the partner with the most quarters both sides reported
 * (then the most rows): the chart opens on one with figures to compare. */
function richest(rows, us, partners) {
  const score = (p) => {
    const ours = new Set(rows.filter((r) => r.reporter === us && r.partner === p).map((r) => r.period));
    const theirs = rows.filter((r) => r.reporter === p && r.partner === us);
    return theirs.filter((r) => ours.has(r.period)).length * 1e6 + ours.size + theirs.length;
  };
  return partners.reduce((best, p) => (score(p) > score(best) ? p : best), partners[0]);
}

function value(wrapper) { return wrapper.querySelector('select').value; }

function drawMirror(out, rows, us, p, hs, measure) {
  const sum = (reporter, flow, partner) => {
    const m = new Map();
    for (const r of rows) {
      if (r.reporter !== reporter || r.flow !== flow || r.partner !== partner || (hs && r.hs_code !== hs)) continue;
      m.set(r.period, (m.get(r.period) || 0) + Number(r[measure] || 0));
    }
    return m;
  };
  const pairs = [
    ['Our exports to ' + p, sum(us, 'export', p), p + '\'s imports from us', sum(p, 'import', us)],
    ['Our imports from ' + p, sum(us, 'import', p), p + '\'s exports to us', sum(p, 'export', us)],
  ];
  fill(out, el('div', { class: 'pair' }, pairs.map(([a, ma, b, mb]) => mirrorPart(a, ma, b, mb))));
}

function mirrorPart(a, ma, b, mb) {
  const quarters = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  if (quarters.length === 0) return el('div', {}, el('h3', {}, a + ' and ' + b), empty('No figures for this flow.'));
  const va = quarters.map((q) => ma.get(q));
  const vb = quarters.map((q) => mb.get(q));
  return el('div', { class: 'mirror' },
    el('h3', {}, a + ' and ' + b),
    barChart({ label: a + ' and ' + b + ' per quarter', width: 560, height: 280, categories: quarters, series: [{ name: a, values: va }, { name: b, values: vb }] }),
    table(['Quarter', a, b, 'Gap'], quarters.map((q, i) => row([q, fmt(va[i]), fmt(vb[i]), gap(va[i], vb[i])]))));
}

function fmt(v) { return v === undefined ? 'not reported' : number(v); }

function gap(a, b) {
  if (a === undefined || b === undefined) return '—';
  const big = Math.max(a, b);
  return big === 0 ? '0 %' : (Math.abs(a - b) / big * 100).toFixed(1) + ' %';
}

// Unit values.

async function unitChart(place, ctx) {
  const [certs, refs] = await Promise.all([
    api.get('/api/exports/certificates' + api.query({ format: 'json', from: yearsAgo(2) }), { signal: ctx.signal }),
    api.get('/api/reference/unit-values', { signal: ctx.signal }).catch((e) => { if (e.status === 404) return null; throw e; }),
  ]);
  const lines = certLines(certs || []);
  if (lines.length === 0) {
    fill(place, empty('No certificates yet.', el('p', { class: 'hint' }, 'Certificates appear here once this node issues or receives them.')));
    return;
  }
  const origins = [...new Set(lines.map((l) => l.origin))].sort();
  const out = el('div');
  const [origin0, hs0] = busiest(lines);
  const originSel = select({ id: 'unit-origin' }, origins.map((o) => [o, o === 'MIXED' ? 'Mixed or several origins' : o]), origin0);
  const hsSel = select({ id: 'unit-hs' }, HS, hs0);
  const draw = () => drawUnit(out, lines, refs, originSel.value, hsSel.value);
  originSel.addEventListener('change', draw);
  hsSel.addEventListener('change', draw);
  fill(place, el('div', { class: 'filter-row' }, field('Origin', originSel), field('HS code', hsSel)),
    refs ? null : el('p', { class: 'hint' }, 'This node does not publish its reference table yet: the points are shown without a band.'), out);
  draw();
}

/** busiest picks the origin and HS code the chart opens on: the origin
 * with the most gem-quality (7102.31) lines, else the one with the most
 * lines of any HS code. */
function busiest(lines) {
  const most = (ls) => {
    const n = new Map();
    for (const l of ls) n.set(l.origin, (n.get(l.origin) || 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  };
  const gem = most(lines.filter((l) => l.hs === '7102.31'));
  return gem ? [gem[0], '7102.31'] : [most(lines)[0], ''];
}

/** yearsAgo is the date n years before today, as YYYY-MM-DD. */
function yearsAgo(n) {
  const d = new Date();
  d.setFullYear(d.getFullYear() - n);
  return d.toISOString().slice(0, 10);
}

function certLines(certs) {
  const out = [];
  for (const c of certs) {
    const origin = c.origin && c.origin.length === 1 ? c.origin[0] : 'MIXED';
    (c.lines || []).forEach((l, i) => {
      const carats = Number(l.carats);
      if (carats > 0) out.push({ t: Date.parse(c.issued), year: Number(c.issued.slice(0, 4)), origin, hs: l.hs_code, v: Number(l.value_usd) / carats, name: c.number + ' line ' + (i + 1) });
    });
  }
  return out.sort((a, b) => a.t - b.t).slice(-MAX_POINTS);
}

/** reference returns the table's row for origin, HS code and the latest
 * year not after year (else the earliest), as the unit-value check looks
 * it up: the row of the HS code, else the origin's all-quality average,
 * which bounds gem lines (7102.31) from below and industrial lines
 * (7102.21) from above only. */
function reference(refs, origin, hs, year) {
  const from = origin === 'MIXED' ? 'WORLD' : origin;
  const pick = (code) => {
    const rows = (refs || []).filter((r) => r.origin === from && (r.hs_code || 'all') === code).sort((a, b) => a.year - b.year);
    return rows.filter((r) => r.year <= year).pop() || rows[0] || null;
  };
  const own = hs ? pick(hs) : null;
  if (own) return { row: own, side: 'both' };
  const all = pick('all');
  if (!all) return null;
  return { row: all, side: hs === '7102.31' ? 'below' : hs === '7102.21' ? 'above' : 'both' };
}

/** refText names a reference row: origin, HS code, year, its source and
 * whether it is the built-in table's or the operator's loaded one. */
function refText(r) {
  const hs = !r.hs_code || r.hs_code === 'all' ? 'all qualities' : r.hs_code;
  const table = r.table === 'operator' ? 'loaded from ' + r.file : 'built-in table';
  return r.origin + ' ' + hs + ' ' + r.year + ' (' + (r.note || 'no source given') + '; ' + table + ')';
}

function drawUnit(out, lines, refs, origin, hs) {
  const pts = lines.filter((l) => l.origin === origin && (!hs || l.hs === hs));
  if (pts.length === 0) {
    fill(out, empty('No certificate lines for this origin and HS code.'));
    return;
  }
  const years = [...new Set(pts.map((p) => p.year))];
  const bands = years.map((y) => [y, reference(refs, origin, hs, y)]).filter(([, r]) => r).map(([y, { row: r, side }]) => ({
    t0: Date.UTC(y, 0, 1), t1: Date.UTC(y + 1, 0, 1), low: Number(r.low), high: Number(r.high), side, text: refText(r),
    label: 'Reference ' + refText(r) + ': USD ' + r.usd_per_carat + '/ct, band ' + r.low + ' … ' + r.high +
      (side === 'below' ? ' (a floor only)' : side === 'above' ? ' (a ceiling only)' : ''),
  }));
  const bandOf = (p) => bands.find((b) => p.t >= b.t0 && p.t < b.t1);
  const points = pts.map((p) => {
    const b = bandOf(p);
    const outside = b ? (b.side !== 'above' && p.v < b.low) || (b.side !== 'below' && p.v > b.high) : false;
    return { t: p.t, v: p.v, outside, band: b, name: p.name, label: p.name + ': USD ' + p.v.toFixed(2) + '/ct' + (outside ? ' (outside the band)' : '') };
  });
  const outliers = points.filter((p) => p.outside);
  fill(out, scatterChart({ label: 'Unit values, origin ' + origin, points, bands, format: (v) => 'USD ' + number(v) }),
    el('p', { id: 'unit-summary' }, points.length + ' lines; ' + outliers.length + ' outside the reference band' +
      (outliers.length ? ': ' + outliers.slice(0, 10).map((p) => p.name + ' (USD ' + p.v.toFixed(2) + '/ct)').join(', ') + (outliers.length > 10 ? ' and ' + (outliers.length - 10) + ' more' : '') : '') + '.'),
    el('p', { id: 'unit-reference' }, bands.length ? 'Reference: ' + [...new Set(bands.map((b) => b.text))].join('; ') + '.' : 'No reference row for this origin and HS code: the points are shown without a band.'),
    dataTable('The figures: every line', ['Certificate line', 'Issued', 'USD per carat', 'Reference band', 'Outside the band'],
      points.map((p) => [p.name, new Date(p.t).toISOString().slice(0, 10), p.v.toFixed(2), p.band ? p.band.low + ' … ' + p.band.high : 'none', p.outside ? 'yes, outside' : 'no']), 'unit-table'));
}

/** dataTable is a chart's figures as a table, in a box that opens. */
function dataTable(title, headings, rows, id) {
  return el('details', { class: 'chart-data' }, el('summary', {}, title),
    table(headings, rows.map((r) => row(r)), { id }));
}

// Delivery over time.

async function lagChart(place, ctx) {
  const h = await api.get('/api/delivery/history', { signal: ctx.signal });
  const codes = Object.keys((h && h.partners) || {}).sort();
  const series = (key) => codes.map((c) => ({ name: c, points: h.partners[c].map((p) => ({ t: Date.parse(p.time), v: p[key] || 0 })) }))
    .filter((x) => x.points.length > 0);
  const undelivered = series('undelivered');
  if (undelivered.length === 0) {
    fill(place, empty('No delivery history yet.', el('p', { class: 'hint' }, 'The node records the backlog to each partner every ' + ((h && h.interval_seconds) || 10) + ' seconds while it runs.')));
    return;
  }
  const chart = (title, ser) => el('div', {}, el('h3', {}, title), lineChart({ label: title, series: ser, integer: true, width: 560, height: 260 }));
  const behind = series('behind');
  const latest = (ser, c) => { const x = ser.find((y) => y.name === c); return x ? x.points[x.points.length - 1].v : 0; };
  const peak = (ser, c) => { const x = ser.find((y) => y.name === c); return x ? Math.max(...x.points.map((p) => p.v)) : 0; };
  fill(place, el('div', { class: 'pair' },
    chart('Our entries not yet at their node, by partner', undelivered),
    chart('Partner entries we still had to fetch', behind)),
  dataTable('The figures: now and the highest of the last hour', ['Partner', 'Ours not yet at their node, now', 'highest', 'Theirs to fetch, now', 'highest'],
    codes.map((c) => [c, String(latest(undelivered, c)), String(peak(undelivered, c)), String(latest(behind, c)), String(peak(behind, c))]), 'lag-table'));
}
