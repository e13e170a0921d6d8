package tabular

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Certificates in CSV: one row per certificate line, the certificate's own
// columns repeated on each of its rows. The rows of one certificate (the
// same issuer and number) may be anywhere in the file; they must agree in
// every column but line, hs_code, carats and value_usd, and must not
// repeat an HS code (or, with a line column, a line number). Totals are
// the sums of the lines unless given.

// certificate builds and validates one certificate from its rows.
func (t *csvTable) certificate(rows []csvRow) []byte {
	first := rows[0]
	number := t.value(first.cells, t.tk.column("number"))
	t.checkAgreement(rows, number)
	all := rows
	rows = t.orderLines(rows, number)
	b := newBodyWriter()
	var given totalRows
	for ci, c := range t.tk.columns {
		switch {
		case c.path == "":
		case strings.HasPrefix(c.path, linePrefix):
			if c.name == "hs_code" {
				t.writeLines(b, rows)
			}
		case !c.required: // totals and supersedes
			if r, ok := t.firstGiven(all, ci); ok {
				t.member(b, r, ci, c)
				given.set(c.path, r.row)
			} else {
				t.computeTotal(b, rows, c.path) // in its place: canonical order
			}
		default:
			t.member(b, first, ci, c)
		}
	}
	return t.validate(b.close(), func(path string) (int, string, string) {
		row, column, whole := t.placeCertificateError(path, first.row, rows, given)
		if path == "lines" && len(rows) < len(all) {
			return 0, "", "" // rows were refused, and reported
		}
		if !whole || len(all) == 1 {
			return row, column, ""
		}
		return row, column, fmt.Sprintf(" (certificate %s, rows %s)", number, rowList(all))
	})
}

// totalRows holds the rows that give a certificate's totals, 0 when
// computed.
type totalRows struct{ carats, value int }

func (g *totalRows) set(path string, row int) {
	switch path {
	case "total_carats":
		g.carats = row
	case "total_value_usd":
		g.value = row
	}
}

func (g totalRows) row(path string) int {
	if path == "total_carats" {
		return g.carats
	}
	return g.value
}

// placeCertificateError maps a field path of a certificate body to a row
// and column: a line's member to the line's row, a given total to the row
// that gives it, the rest to the certificate's first row. whole reports a
// problem of the certificate as a whole. Computed totals give row 0: their
// problems come from the lines.
func (t *csvTable) placeCertificateError(path string, first int, rows []csvRow, given totalRows) (row int, column string, whole bool) {
	if rest, ok := strings.CutPrefix(path, "lines["); ok {
		idx, member, _ := strings.Cut(rest, "]")
		i, err := strconv.Atoi(idx)
		if err == nil && i < len(rows) {
			member = strings.TrimPrefix(member, ".")
			if ci := t.tk.columnOf(linePrefix + member); ci >= 0 {
				return rows[i].row, t.tk.columns[ci].name, false
			}
			return rows[i].row, member, false
		}
	}
	switch path {
	case "total_carats", "total_value_usd":
		row := given.row(path)
		return row, path, row != 0
	case "lines":
		return first, "", true
	}
	return first, t.columnName(path), true
}

// firstGiven returns the first row with a value in optional column ci.
func (t *csvTable) firstGiven(rows []csvRow, ci int) (csvRow, bool) {
	for _, r := range rows {
		if t.value(r.cells, ci) != "" {
			return r, true
		}
	}
	return csvRow{}, false
}

// checkAgreement reports rows of a certificate whose certificate columns
// differ from its first row (for an optional column, from the first row
// that gives it): a certificate number used for two certificates.
func (t *csvTable) checkAgreement(rows []csvRow, number string) {
	for _, r := range rows[1:] {
		var diff []string
		other := 0
		for ci, c := range t.tk.columns {
			if c.path == "" || strings.HasPrefix(c.path, linePrefix) {
				continue
			}
			ref := rows[0]
			if !c.required {
				ref, _ = t.firstGiven(rows, ci)
				if t.value(r.cells, ci) == "" || ref.row == r.row {
					continue
				}
			}
			if t.value(r.cells, ci) != t.value(ref.cells, ci) {
				diff = append(diff, c.name)
				if other == 0 {
					other = ref.row
				}
			}
		}
		if len(diff) > 0 {
			t.cellError(r.row, diff[0], fmt.Sprintf("certificate %s is also on row %d, with a different %s: the rows of a certificate must agree in all but its line columns (is the number used twice?)",
				number, other, keyNames(diff)))
		}
	}
}

// orderLines returns the rows that make the certificate's lines, in line
// order, leaving out and reporting those that repeat a line number or, in
// a file without a line column, an HS code.
func (t *csvTable) orderLines(rows []csvRow, number string) []csvRow {
	lineCol := t.tk.column("line")
	if t.header[lineCol] < 0 {
		return t.uniqueHSCodes(rows, number)
	}
	type numbered struct {
		n int64
		r csvRow
	}
	var lines []numbered
	seen := map[int64]int{}
	for _, r := range rows {
		s := t.value(r.cells, lineCol)
		n, reason := parseCellInteger(s)
		switch {
		case s == "":
			reason = "is required on every row of a file with a line column"
		case reason != "":
		case n < 1 || n > protocol.MaxCertificateLines:
			reason = fmt.Sprintf("must be between 1 and %d, got %d", protocol.MaxCertificateLines, n)
		case seen[n] != 0:
			reason = fmt.Sprintf("certificate %s already has line %d on row %d (is the number used twice?)", number, n, seen[n])
		}
		if reason != "" {
			t.cellError(r.row, "line", reason)
			continue
		}
		seen[n] = r.row
		lines = append(lines, numbered{n, r})
	}
	slices.SortStableFunc(lines, func(a, b numbered) int { return cmp.Compare(a.n, b.n) })
	out := make([]csvRow, len(lines))
	for i, l := range lines {
		out[i] = l.r
	}
	return out
}

// uniqueHSCodes drops and reports rows that repeat an HS code of the
// certificate.
func (t *csvTable) uniqueHSCodes(rows []csvRow, number string) []csvRow {
	hsCol := t.tk.column("hs_code")
	out := make([]csvRow, 0, len(rows))
next:
	for _, r := range rows {
		hs := t.value(r.cells, hsCol)
		for _, prev := range out {
			if hs != "" && t.value(prev.cells, hsCol) == hs {
				t.cellError(r.row, "hs_code", fmt.Sprintf("certificate %s already has a %s line on row %d: give one row per HS code (is the number used twice?)", number, hs, prev.row))
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// writeLines writes the certificate's lines, one per row.
func (t *csvTable) writeLines(b *bodyWriter, rows []csvRow) {
	b.enter("")
	b.key("lines")
	b.b = append(b.b, '[')
	for i, r := range rows {
		if i > 0 {
			b.b = append(b.b, ',')
		}
		w := bodyWriter{b: append(b.b, '{')}
		for ci, c := range t.tk.columns {
			member, ok := strings.CutPrefix(c.path, linePrefix)
			s := t.value(r.cells, ci)
			if !ok || s == "" {
				continue
			}
			if reason := w.member(member, c, s); reason != "" {
				t.cellError(r.row, c.name, reason)
			}
		}
		b.b = w.close()
	}
	b.b = append(b.b, ']')
}

// computeTotal writes total (total_carats or total_value_usd), not given,
// as the sum of the lines, when the lines' amounts are all valid.
func (t *csvTable) computeTotal(b *bodyWriter, rows []csvRow, total string) {
	line := map[string]string{"total_carats": "carats", "total_value_usd": "value_usd"}[total]
	if line == "" {
		return // not a total
	}
	if sum, ok := t.sum(rows, t.tk.column(line)); ok {
		b.enter("")
		b.key(total)
		b.b = strconv.AppendQuote(b.b, protocol.USD(sum).String())
	}
}

// sum adds the amounts of column ci, reporting false if one is invalid or
// the sum overflows.
func (t *csvTable) sum(rows []csvRow, ci int) (int64, bool) {
	var sum int64
	var overflow bool
	for _, r := range rows {
		v, err := protocol.ParseUSD(t.value(r.cells, ci)) // carats and dollars alike: hundredths
		if err != nil {
			return 0, false
		}
		sum, overflow = addChecked(sum, int64(v), overflow)
	}
	return sum, len(rows) > 0 && !overflow
}

// rowList formats row numbers as "2, 3, 7", eliding after ten.
func rowList(rows []csvRow) string {
	var parts []string
	for i, r := range rows {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(rows)-10))
			break
		}
		parts = append(parts, strconv.Itoa(r.row))
	}
	return strings.Join(parts, ", ")
}
