package protocol

import (
	"strconv"
	"strings"
)

// writeCSV writes valid bodies as CSV: the header naming every column,
// then one row per record, or per certificate line with the certificate's
// columns repeated, its line numbered and its totals given.
func (tk *tableKind) writeCSV(bodies [][]byte) []byte {
	var cols []tableColumn
	for _, c := range tk.columns {
		if !c.importOnly {
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
		d, _ := scanJSON(body) // valid: checked by WriteTable
		for ci, c := range cols {
			cells[ci] = ""
			if n, ok := d.lookup(0, c.path); ok && c.path != "" {
				cells[ci] = csvCellOf(c, d, n)
			}
		}
		if !tk.lines {
			out = appendCSVRecord(out, cells)
			continue
		}
		lines, _ := d.lookup(0, "lines")
		i := 0
		for l := lines + 1; l < d.nodes[lines].next; l = d.nodes[l].next {
			i++
			for ci, c := range cols {
				member, ok := strings.CutPrefix(c.path, linePrefix)
				switch {
				case c.path == "":
					cells[ci] = strconv.Itoa(i)
				case ok:
					cells[ci] = ""
					if n, found := d.lookup(l, member); found {
						cells[ci] = csvCellOf(c, d, n)
					}
				}
			}
			out = appendCSVRecord(out, cells)
		}
	}
	return out
}

// csvCellOf returns node n as the CSV cell of column c, guarded against
// formulas when c is free text.
func csvCellOf(c tableColumn, d *jsonDoc, n int32) string {
	if freeText(c.cell) {
		return guardCell(cellOf(d, n))
	}
	if c.cell == cellItemNo { // the body counts from 0, people from 1
		if i, err := strconv.Atoi(cellOf(d, n)); err == nil {
			return strconv.Itoa(i + 1)
		}
	}
	return cellOf(d, n)
}
