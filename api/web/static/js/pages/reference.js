// reference.js: the record reference (docs/records.md, served by the node
// as /static/records.md) shown as a page, so that a clerk without the
// source repository can read the formats the forms and imports expect.
// A small Markdown reader: headings, paragraphs, lists, tables and code,
// built as DOM nodes (text only, never HTML from strings).

import * as api from '../api.js';
import { el, fill } from '../dom.js';

export async function referencePage(view, ctx) {
  const text = await api.get('/static/records.md', { signal: ctx.signal });
  fill(view, el('p', {}, el('a', { href: '#/import' }, '← Import a file')),
    el('article', { class: 'reference', id: 'reference' }, markdown(String(text))));
  const want = ctx.params.get('section');
  if (want) {
    const h = [...view.querySelectorAll('h2, h3')].find((x) => x.textContent.startsWith(want));
    if (h) h.scrollIntoView();
  }
}

/** markdown turns the reference's Markdown into elements. */
export function markdown(src) {
  const out = [];
  const lines = src.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') { i++; continue; }
    const h = /^(#{1,4}) (.*)$/.exec(line);
    if (h) {
      // The page has its own h1: the document's headings go one level down.
      out.push(el('h' + Math.min(h[1].length + 1, 5), {}, inline(h[2])));
      i++;
    } else if (line.startsWith('```')) {
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      out.push(el('pre', {}, code.join('\n')));
      i++;
    } else if (line.startsWith('|')) {
      const rows = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(cells(lines[i]));
      out.push(tableOf(rows));
    } else if (/^\s*[*-] /.test(line)) {
      const items = [];
      for (; i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('|'); i++) {
        if (/^\s*[*-] /.test(lines[i])) items.push(lines[i].replace(/^\s*[*-] /, ''));
        else items[items.length - 1] += ' ' + lines[i].trim();
      }
      out.push(el('ul', {}, items.map((x) => el('li', {}, inline(x)))));
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== '' && !/^(#|```|\||\s*[*-] )/.test(lines[i]); i++) para.push(lines[i].trim());
      out.push(el('p', {}, inline(para.join(' '))));
    }
  }
  return out;
}

function cells(line) {
  return line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
}

function tableOf(rows) {
  const body = rows.filter((r, i) => i > 0 && !r.every((c) => /^:?-+:?$/.test(c)));
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, rows[0].map((c) => el('th', { scope: 'col' }, inline(c))))),
    el('tbody', {}, body.map((r) => el('tr', {}, r.map((c) => el('td', {}, inline(c))))))));
}

/** inline turns `code`, **bold** and [links](x) (kept as their text) into
 * elements. */
function inline(s) {
  return s.split(/(`[^`]+`|\*\*[^*]+\*\*|\[[^\]]+\]\([^)]*\))/).filter(Boolean).map((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return el('code', {}, part.slice(1, -1));
    if (part.startsWith('**') && part.endsWith('**') && part.length > 3) return el('strong', {}, part.slice(2, -2));
    const link = /^\[([^\]]+)\]\([^)]*\)$/.exec(part);
    return link ? link[1] : part;
  });
}
