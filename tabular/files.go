package tabular

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// FilesColumn is the CSV column naming the files a record carries: paths
// separated by ';' ([SplitFiles]), as the clerk's computer sees them. The
// table alone cannot carry files: whoever reads it uploads the files the
// column names first and gives [ReadOptions.Files] (kpnode import does).
const FilesColumn = "attachments"

// SplitFiles returns the paths of an attachments cell: the parts between
// ';', with the spaces around them trimmed and empty parts left out.
func SplitFiles(cell string) []string {
	var out []string
	for _, p := range strings.Split(cell, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ReadOptions are the optional inputs of [ReadTableOptions].
type ReadOptions struct {
	// Author is the importing node's participant ([ReadTableAs]), or "".
	Author string
	// Files maps each path an attachments cell names, as written there
	// after trimming, to the file uploaded for it; a path it lacks is
	// looked up by its last part, the file's name (the dashboard, which
	// cannot see paths, sends the files chosen by name). A path found
	// neither way is a problem of its row.
	Files map[string]protocol.AttachedFile
	// Progress, if set, is called as in [ReadTableProgress].
	Progress func(done, total int)
}

// FileCell is the attachments cell of one CSV row: its row and the paths
// it names.
type FileCell struct {
	Row   int
	Paths []string
}

// FileCells reads the attachments cells of a CSV file of kind, every
// non-empty one, in row order, without checking the other columns: what a
// client uploads before it sends the file. A file without the column
// gives none. A kind whose records carry no files refuses the column (an
// *[ImportError]); other problems of the file are left to [ReadTable].
func FileCells(kind Kind, file string, data []byte) ([]FileCell, error) {
	tk := lookupTableKind(kind.Name)
	if tk == nil {
		return nil, fmt.Errorf("read files: unknown kind %q", truncate(kind.Name, 40))
	}
	sc := &csvScanner{data: strings.TrimPrefix(string(data), "\uFEFF")}
	col, err := filesHeader(tk, file, sc)
	if err != nil || col < 0 {
		return nil, err
	}
	var out []FileCell
	for {
		cells, reason, ok := sc.next()
		if !ok {
			return out, nil
		}
		if reason != "" || col >= len(cells) {
			continue // ReadTable reports it
		}
		if paths := SplitFiles(cells[col].text); len(paths) > 0 {
			out = append(out, FileCell{Row: sc.row, Paths: paths})
		}
	}
}

// filesHeader returns the position of the attachments column in the
// header, -1 when there is none (or no header to read).
func filesHeader(tk *tableKind, file string, sc *csvScanner) (int, error) {
	for {
		cells, reason, ok := sc.next()
		if !ok || reason != "" {
			return -1, nil
		}
		if blankRecord(cells) {
			continue
		}
		for i, c := range cells {
			if strings.ToLower(strings.TrimSpace(c.text)) != FilesColumn {
				continue
			}
			if tk.column(FilesColumn) < 0 {
				return -1, &ImportError{Format: FormatCSV, Errors: []RowError{{File: escapeText(file), Row: sc.row, Column: FilesColumn, Reason: noFilesReason(tk)}}}
			}
			return i, nil
		}
		return -1, nil
	}
}

// noFilesReason says that records of tk carry no files.
func noFilesReason(tk *tableKind) string {
	return fmt.Sprintf("%s carry no files: only records of type %s may have attachments (remove the column)",
		tk.name, strings.Join(protocol.FileTypes(), ", "))
}

// filesMember writes the attachments member of row from cell s: the
// uploaded file of each path it names, or reports the paths not uploaded.
func (t *csvTable) filesMember(b *bodyWriter, row int, c tableColumn, s string) {
	var files []protocol.AttachedFile
	var missing []string
	for _, p := range SplitFiles(s) {
		f, ok := t.files[p]
		if !ok {
			if other, clash := t.otherPath(p); clash {
				t.cellError(row, c.name, fmt.Sprintf("file %q: only a file named %q was sent, and the table also names %q (row %d) with that name: send each file under the path this column names it by (kpnode import does; in the dashboard choose or drop the folder holding the table)",
					truncate(p, 80), truncate(lastPart(p), 80), truncate(other.path, 80), other.row))
				return
			}
			f, ok = t.files[lastPart(p)]
		}
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", truncate(p, 80)))
			continue
		}
		files = append(files, f)
	}
	if len(missing) > 0 {
		t.cellError(row, c.name, fmt.Sprintf("file %s was not sent with the table: import files with kpnode import, which uploads the files this column names", strings.Join(missing, ", ")))
		return
	}
	if len(files) == 0 {
		return
	}
	b.enter("")
	b.key(c.path)
	b.b = appendFilesJSON(b.b, files)
}

// pathAt is a path an attachments cell names, and the first row naming
// it.
type pathAt struct {
	path string
	row  int
}

// pathsByName maps each file name the attachments column of a CSV table
// names to the different paths naming it, in row order.
func pathsByName(tk *tableKind, file, text string) map[string][]pathAt {
	sc := &csvScanner{data: text}
	col, err := filesHeader(tk, file, sc)
	if err != nil || col < 0 {
		return nil
	}
	out := map[string][]pathAt{}
	for {
		cells, reason, ok := sc.next()
		if !ok {
			return out
		}
		if reason != "" || col >= len(cells) {
			continue
		}
		for _, p := range SplitFiles(cells[col].text) {
			name := lastPart(p)
			if !slices.ContainsFunc(out[name], func(a pathAt) bool { return a.path == p }) {
				out[name] = append(out[name], pathAt{p, sc.row})
			}
		}
	}
}

// otherPath returns another path of the table with the file name of p,
// when there is one: p cannot then be matched by its name alone.
func (t *csvTable) otherPath(p string) (pathAt, bool) {
	for _, a := range t.sameName[lastPart(p)] {
		if a.path != p {
			return a, true
		}
	}
	return pathAt{}, false
}

// lastPart is the last part of a path separated by / or \ (a path
// written on Windows), the file's name.
func lastPart(p string) string {
	return p[strings.LastIndexAny(p, `/\`)+1:]
}

// appendFilesJSON appends files as encoding/json writes them without
// HTML escaping: the canonical form.
func appendFilesJSON(b []byte, files []protocol.AttachedFile) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(files) // strings and integers only
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// fileNamesCell returns the cell an export writes for an attachments
// member: the files' names separated by "; ", which reads back as the
// same files when they lie next to the exported table.
func fileNamesCell(files []protocol.AttachedFile) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return strings.Join(names, "; ")
}
