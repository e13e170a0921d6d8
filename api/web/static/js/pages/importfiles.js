// importfiles.js: which chosen file each path of a certificates table's
// attachments column names (docs/api.md, "Imports with files"). A path is
// matched by the file's path relative to the table when the browser gives
// one (a folder chosen or dropped), else by the file's name alone, and
// then only when no other path of the table has that name: two files of
// one name in different folders are never confused.

/** attachmentCells reads the attachments column of a CSV table as the
 * node does (RFC 4180, rows counted from the header as row 1): the rows
 * whose cell names files, each with its paths, as written after
 * trimming. A table without the column gives none. */
export function attachmentCells(text) {
  const rows = csvRows(text.replace(/^\uFEFF/, ''));
  let col = -1;
  const out = [];
  for (const r of rows) {
    if (col < 0) {
      if (r.cells.every((c) => c.trim() === '')) continue;
      col = r.cells.findIndex((c) => c.trim().toLowerCase() === 'attachments');
      if (col < 0) return out;
      continue;
    }
    const paths = (r.cells[col] || '').split(';').map((p) => p.trim()).filter(Boolean);
    if (paths.length) out.push({ row: r.row, paths });
  }
  return out;
}

/** csvRows splits text into records of cells, each with its row number. */
function csvRows(text) {
  const rows = [];
  let i = 0;
  let row = 0;
  while (i < text.length) {
    row++;
    const cells = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) { cell += text.slice(i); i = text.length; break; }
          cell += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') { cell += '"'; i++; continue; }
          break;
        }
        while (i < text.length && !',\r\n'.includes(text[i])) i++;
      } else {
        const start = i;
        while (i < text.length && !',\r\n'.includes(text[i])) i++;
        cell = text.slice(start, i);
      }
      cells.push(cell);
      if (text[i] === ',') { i++; continue; }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    rows.push({ row, cells });
  }
  return rows;
}

/** normal is a path with / between its parts and no leading ./ */
function normal(p) {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

function baseName(p) {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** matchFiles pairs each path the cells name with one chosen item
 * ({file, path}: path is where the browser says the file lies, '' when it
 * gives only its name). It returns a Map from each path, as written in the
 * table, to its File; a path no file matches is left out (the node names
 * it). It throws an Error naming the row and the path when a path could
 * name more than one file. */
export function matchFiles(cells, items) {
  const byName = new Map(); // a base name -> the table's paths with it (normal -> as written, and its first row)
  for (const c of cells) {
    for (const p of c.paths) {
      const n = normal(p);
      const paths = byName.get(baseName(n)) || new Map();
      if (!paths.has(n)) paths.set(n, { text: p, row: c.row });
      byName.set(baseName(n), paths);
    }
  }
  const out = new Map();
  for (const c of cells) {
    for (const p of c.paths) {
      const f = matchOne(c.row, p, items, byName);
      if (f) out.set(p, f);
    }
  }
  return out;
}

function matchOne(row, p, items, byName) {
  const n = normal(p);
  const name = baseName(n);
  const where = 'Row ' + row + ', attachments "' + p + '": ';
  const located = items.filter((it) => it.path && (normal(it.path) === n || normal(it.path).endsWith('/' + n)));
  if (located.length > 1) {
    throw new Error(where + 'it matches ' + located.length + ' files chosen (' + located.map((it) => it.path).join(', ') + '). Choose only the folder that holds the table.');
  }
  if (located.length === 1) return located[0].file;
  const named = items.filter((it) => !it.path && it.file.name === name);
  if (named.length === 0) return null;
  if (named.length > 1) {
    throw new Error(where + named.length + ' files named ' + name + ' were chosen, and the browser gives only their names, not their folders. Choose or drop the folder that holds the table and its files instead.');
  }
  const others = [...byName.get(name)].filter(([q]) => q !== n);
  if (others.length) {
    const { text, row: r } = others[0][1];
    throw new Error(where + 'the table also names "' + text + '" (row ' + r + ') with the same file name ' + name + ', and the browser gave only the name of the file chosen, not its folder. Choose or drop the folder that holds the table and its files instead, so that their paths tell them apart.');
  }
  return named[0].file;
}
