package tabular

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/kpnode/kpnode/protocol"
)

// writeCSV writes valid bodies as CSV: the header naming every column,
// then one row per record, or per certificate line with the certificate's
// columns repeated, its line numbered and its totals given.
func (tk *tableKind) writeCSV(bodies [][]byte) []byte {
	var cols []tableColumn
	withFiles := anyHasFiles(tk, bodies)
	for _, c := range tk.columns {
		if !c.importOnly && (c.cell != cellFiles || withFiles) {
			cols = append(cols, c)
		}
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	out := appendCSVRecord(nil, names)
	cells := make([]string, len(cols))
	for _, body := range bodies {
		fields := bodyFields(body) // valid: checked by WriteTable
		for ci, c := range cols {
			cells[ci] = ""
			if v, ok := fields[c.path]; ok && c.path != "" {
				cells[ci] = csvCellOf(c, v)
			}
		}
		if !tk.lines {
			out = appendCSVRecord(out, cells)
			continue
		}
		for i, line := range arrayElements(fields["lines"]) {
			i++
			lineFields := bodyFields(line)
			for ci, c := range cols {
				member, ok := strings.CutPrefix(c.path, linePrefix)
				switch {
				case c.path == "":
					cells[ci] = strconv.Itoa(i)
				case ok:
					cells[ci] = ""
					if v, found := lineFields[member]; found {
						cells[ci] = csvCellOf(c, v)
					}
				}
			}
			out = appendCSVRecord(out, cells)
		}
	}
	return out
}

// anyHasFiles reports whether a record among bodies names files. Without
// one, an export leaves out the files column, so that a node that predates
// attachments imports it too.
func anyHasFiles(tk *tableKind, bodies [][]byte) bool {
	for _, c := range tk.columns {
		if c.cell != cellFiles {
			continue
		}
		for _, body := range bodies {
			if bytes.Contains(body, []byte(`"`+c.path+`"`)) {
				if _, ok := bodyFields(body)[c.path]; ok {
					return true
				}
			}
		}
	}
	return false
}

// csvCellOf returns value v as the CSV cell of column c, guarded against
// formulas when c is free text.
func csvCellOf(c tableColumn, v jsontext.Value) string {
	if c.cell == cellFiles {
		var files []protocol.AttachedFile
		_ = json.Unmarshal(v, &files) // valid: checked by WriteTable
		return fileNamesCell(files)
	}
	if freeText(c.cell) {
		return guardCell(cellOf(v))
	}
	if c.cell == cellItemNo { // the body counts from 0, people from 1
		if i, err := strconv.Atoi(cellOf(v)); err == nil {
			return strconv.Itoa(i + 1)
		}
	}
	return cellOf(v)
}
