// svg.js: small hand-written charts (bars, lines, points) as SVG, no
// library. Colours come from the stylesheet (classes s0, s1, …); every
// mark has a <title> so hovering shows its figure.

import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const M = { top: 16, right: 16, bottom: 36, left: 84 };

/** s creates an SVG element; a string child becomes its text. */
export function s(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Charts are drawn in a W × H box that the page scales to its width; a
// chart shown at half width gets a narrower box so its text stays legible.
let W = 960;
let H = 300;

function frame(label, width = 960, height = 300) {
  W = width;
  H = height;
  return s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': label });
}

/** niceTicks returns about n round values covering [lo, hi]. */
export function niceTicks(lo, hi, n = 5, integer = false) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = integer ? Math.max(1, (hi - lo) / n) : (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((x) => x >= raw);
  const out = [];
  const last = Math.ceil(hi / step - 1e-9) * step;
  for (let v = Math.floor(lo / step) * step; v <= last + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** short formats a number shortly: 1.2 M, 35 k. */
export function short(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + ' G';
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(0) + ' k';
  return v.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

function yAxis(g, ticks, y, fmt) {
  for (const t of ticks) {
    g.append(s('line', { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), class: 'grid' }),
      s('text', { x: M.left - 8, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, fmt(t)));
  }
}

/** legend lists the series with their colours. */
export function legend(names) {
  return el('ul', { class: 'legend' }, names.map((n, i) => el('li', { class: 'key s' + i }, n)));
}

/** barChart draws grouped bars: one group per category, one bar per series. */
export function barChart({ label, categories, series, format = short, width, height }) {
  const svg = frame(label, width, height);
  const max = Math.max(1, ...series.flatMap((x) => x.values.map((v) => v || 0)));
  const ticks = niceTicks(0, max);
  const top = ticks[ticks.length - 1];
  const y = (v) => H - M.bottom - (v / top) * (H - M.top - M.bottom);
  yAxis(svg, ticks, y, format);
  const band = (W - M.left - M.right) / Math.max(1, categories.length);
  const bw = Math.min(48, (band * 0.8) / series.length);
  categories.forEach((c, i) => {
    const x0 = M.left + band * i + (band - bw * series.length) / 2;
    series.forEach((x, j) => {
      const v = x.values[i] || 0;
      svg.append(s('rect', { x: x0 + j * bw, y: y(v), width: bw - 2, height: Math.max(0, y(0) - y(v)), class: 'bar s' + j },
        s('title', {}, x.name + ', ' + c + ': ' + format(v))));
    });
    svg.append(s('text', { x: M.left + band * i + band / 2, y: H - M.bottom + 18, class: 'tick', 'text-anchor': 'middle' }, c));
  });
  return el('figure', { class: 'figure' }, svg, legend(series.map((x) => x.name)));
}

function timeScale(t0, t1) {
  if (!(t1 > t0)) t1 = t0 + 1;
  return (t) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
}

function timeTicks(svg, t0, t1, x) {
  const span = t1 - t0;
  let fmt = (t) => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (span > 2 * 86400e3) fmt = (t) => new Date(t).toLocaleDateString(undefined, { year: '2-digit', month: 'short', day: 'numeric' });
  else if (span > 30 * 60e3) fmt = (t) => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
  const n = Math.max(2, Math.floor((W - M.left - M.right) / 150));
  for (let i = 0; i <= n; i++) {
    const t = t0 + (span * i) / n;
    svg.append(s('text', { x: x(t), y: H - M.bottom + 18, class: 'tick', 'text-anchor': i === 0 ? 'start' : i === n ? 'end' : 'middle' }, fmt(t)));
  }
}

/** lineChart draws one line per series over time: points {t: ms, v}. */
export function lineChart({ label, series, format = short, integer = false, width, height }) {
  const svg = frame(label, width, height);
  const all = series.flatMap((x) => x.points);
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const ticks = niceTicks(0, Math.max(1, ...all.map((p) => p.v)), 5, integer);
  const top = ticks[ticks.length - 1];
  const x = timeScale(t0, t1);
  const y = (v) => H - M.bottom - (v / top) * (H - M.top - M.bottom);
  yAxis(svg, ticks, y, format);
  timeTicks(svg, t0, t1, x);
  series.forEach((ser, j) => {
    const d = ser.points.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join(' ');
    svg.append(s('path', { d, class: 'line s' + j }, s('title', {}, ser.name)));
    const last = ser.points[ser.points.length - 1];
    if (last) svg.append(s('circle', { cx: x(last.t), cy: y(last.v), r: 3.5, class: 'dot s' + j }, s('title', {}, ser.name + ' now: ' + format(last.v))));
  });
  return el('figure', { class: 'figure' }, svg, legend(series.map((x) => x.name)));
}

/** scatterChart draws points over time on a logarithmic scale, with
 * shaded bands {t0, t1, low, high, label}; a point outside its band is
 * drawn as an outlier. */
export function scatterChart({ label, points, bands, format = short }) {
  const svg = frame(label);
  const vs = points.map((p) => p.v).concat(bands.flatMap((b) => [b.low, b.high])).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...vs))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vs))));
  const ts = points.map((p) => p.t).concat(bands.flatMap((b) => [b.t0, b.t1]));
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  const x = timeScale(t0, t1);
  const y = (v) => H - M.bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - M.top - M.bottom);
  const ticks = [];
  for (let d = lo; d <= hi; d *= 10) ticks.push(d);
  yAxis(svg, ticks, y, format);
  timeTicks(svg, t0, t1, x);
  for (const b of bands) {
    svg.append(s('rect', { x: x(b.t0), width: Math.max(1, x(b.t1) - x(b.t0)), y: y(b.high), height: Math.max(1, y(b.low) - y(b.high)), class: 'band' },
      s('title', {}, b.label)));
  }
  for (const p of points) {
    // An outlier is a diamond, not only red: colour is not the only cue.
    const cx = x(p.t), cy = y(p.v);
    svg.append(p.outside
      ? s('polygon', { points: [[cx, cy - 6], [cx + 6, cy], [cx, cy + 6], [cx - 6, cy]].join(' '), class: 'dot outlier' }, s('title', {}, p.label))
      : s('circle', { cx, cy, r: 3, class: 'dot s0' }, s('title', {}, p.label)));
  }
  return el('figure', { class: 'figure' }, svg,
    el('ul', { class: 'legend' }, el('li', { class: 'key s0' }, 'Certificate line'), el('li', { class: 'key outlier' }, 'Outside the reference band'), el('li', { class: 'key band' }, 'Reference band')));
}
