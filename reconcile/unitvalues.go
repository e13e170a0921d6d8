package reconcile

import (
	"cmp"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kpnode/kpnode/protocol"
)

// UnitValues is a reference table of average USD per carat by origin, HS
// code and year (rule R8), each row with its source: the public national
// all-quality production averages of shared/data/unit-values.csv, or an
// operator's valuation table such as the WGDE's Valuation Data Matrix,
// by HS code. The zero UnitValues is an empty table. A UnitValues is
// immutable and safe for concurrent use.
type UnitValues struct {
	byKey map[uvTableKey][]tableRow // sorted by year
}

// uvTableKey is an origin and an HS code; hs is allQualities for an
// average over all qualities.
type uvTableKey struct{ origin, hs string }

type tableRow struct {
	year   int
	value  protocol.USD // per carat
	source string
}

// Origins of the table that are not country codes.
const (
	originWorld = "WORLD" // the world average, reference of mixed origins
	originMixed = "MIXED" // a mixed-origin parcel, or more than one origin
)

// allQualities is the hs_code of a row that averages every quality.
const allQualities = "all"

// maxSourceLen bounds a row's source: it is quoted in findings.
const maxSourceLen = 200

// maxUnitValueRows bounds the rows a table may have.
const maxUnitValueRows = 100_000

// The plausible range of an average unit value. The world's rough trades
// at USD 70-135/ct, DRC's industrial-dominated production at USD 7/ct,
// and the dearest production, Lesotho's Letšeng mine, averages about
// USD 2,000/ct (DOMAIN.md). Boart for industry goes at under a dollar; 25
// times Letšeng is room for a table of exceptional stones. A figure
// beyond either end is a slip of units (cents, grams, a parcel's value),
// which would silence R8 or flag every line.
const (
	minUSDPerCarat protocol.USD = 10      // USD 0.10
	maxUSDPerCarat protocol.USD = 5000000 // USD 50,000
)

// cellProblem says why a cell cannot be part of a table: it is not UTF-8
// text, or it is a spreadsheet formula (which a spreadsheet opening a
// table would run); "" when it can. A leading minus is left to the
// column's own check, which says why a negative figure is wrong.
func cellProblem(cell string) string {
	switch {
	case !utf8.ValidString(cell):
		return fmt.Sprintf("%q is not UTF-8 text: save the file as CSV UTF-8", truncate(cell, 20))
	case cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])):
		return fmt.Sprintf("%q starts as a spreadsheet formula does: kpnode reads values, not formulas (save the values, or remove the leading %q)",
			truncate(cell, 20), cell[:1])
	}
	return ""
}

// The two table formats: the national averages of unit-values.csv (every
// row an all-quality average, the note its source), and a valuation table
// by HS code.
var (
	unitValueHeader = []string{"origin", "year", "usd_per_carat", "note"}
	valuationHeader = []string{"origin", "hs_code", "year", "usd_per_carat", "source"}
)

// LoadUnitValues reads a table as [ParseUnitValues] does, for a reader
// without a file name.
func LoadUnitValues(r io.Reader) (UnitValues, error) { return ParseUnitValues("", r) }

// ParseUnitValues reads a unit-value table, all or nothing: on any error it
// returns the zero table and an error wrapping [ErrUnitValues] that names
// the file (name, when not empty), the row (the header is row 1) and the
// column. Two formats are accepted, UTF-8 CSV with a header:
//
//   - origin,hs_code,year,usd_per_carat,source: a valuation table by HS
//     code. hs_code is 7102.10, 7102.21, 7102.31, or "all" for an average
//     over all qualities; source is required, it is shown in findings.
//   - origin,year,usd_per_carat,note (note may be left out): the format of
//     unit-values.csv, every row an all-quality average, the note its
//     source.
//
// origin is a two-letter code or WORLD, year 1900..2200, usd_per_carat a
// decimal above zero with at most two places, and each (origin, HS code,
// year) at most once.
func ParseUnitValues(name string, r io.Reader) (UnitValues, error) {
	e := tableErr{name}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return UnitValues{}, e.at(1, "", csvMessage(err, "the header origin,hs_code,year,usd_per_carat,source is missing"))
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheets save CSV with a byte-order mark
	byHS := slices.Equal(header, valuationHeader)
	if !byHS && (len(header) < 3 || len(header) > 4 || !slices.Equal(header, unitValueHeader[:len(header)])) {
		return UnitValues{}, e.at(1, "", fmt.Sprintf("header is %q, want origin,hs_code,year,usd_per_carat,source or origin,year,usd_per_carat,note%s",
			truncate(strings.Join(header, ","), 80), headerHint(header)))
	}
	u := UnitValues{byKey: map[uvTableKey][]tableRow{}}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return UnitValues{}, e.at(row, "", csvMessage(err, ""))
		}
		if row > maxUnitValueRows {
			return UnitValues{}, e.at(row, "", fmt.Sprintf("more than %d rows", maxUnitValueRows))
		}
		if len(rec) != len(header) {
			return UnitValues{}, e.at(row, "", fmt.Sprintf("has %d columns, the header %d", len(rec), len(header)))
		}
		if !byHS { // origin,year,usd_per_carat[,note]: an all-quality row
			rec = append([]string{rec[0], allQualities}, rec[1:]...)
			if len(rec) == 4 {
				rec = append(rec, "")
			}
		}
		if err := u.addRow(e, row, rec, byHS); err != nil {
			return UnitValues{}, err
		}
	}
	for _, vs := range u.byKey {
		slices.SortFunc(vs, func(a, b tableRow) int { return a.year - b.year })
	}
	return u, nil
}

// addRow checks and adds one row: origin, hs_code, year, usd_per_carat,
// source; the source is required when needSource.
func (u *UnitValues) addRow(e tableErr, row int, rec []string, needSource bool) error {
	for i, cell := range rec {
		if reason := cellProblem(cell); reason != "" {
			column := valuationHeader[i]
			if i == 4 && !needSource {
				column = "note"
			}
			return e.at(row, column, reason)
		}
	}
	origin, hs := rec[0], rec[1]
	if origin != originWorld && !isCode(origin) {
		return e.at(row, "origin", fmt.Sprintf("%q is not a two-letter country code or WORLD", truncate(origin, 20)))
	}
	if !protocol.AdmissibleCode(origin, false) && origin != originWorld {
		return e.at(row, "origin", fmt.Sprintf("%q is not a participant code (kpnode participants lists them) nor WORLD", origin))
	}
	if hs != allQualities && !slices.Contains(protocol.HSCodes(), hs) {
		return e.at(row, "hs_code", fmt.Sprintf("%q is not %s or all", truncate(hs, 20), strings.Join(protocol.HSCodes(), ", ")))
	}
	year, err := strconv.Atoi(rec[2])
	if err != nil || year < 1900 || year > 2200 {
		return e.at(row, "year", fmt.Sprintf("%q is not a year 1900..2200", truncate(rec[2], 20)))
	}
	v, err := protocol.ParseUSD(rec[3])
	if err != nil || v <= 0 {
		return e.at(row, "usd_per_carat", fmt.Sprintf("%q is not a decimal above zero with at most two places, such as 170 or 10.6", truncate(rec[3], 20)))
	}
	if v < minUSDPerCarat || v > maxUSDPerCarat {
		return e.at(row, "usd_per_carat", fmt.Sprintf("%s is outside %s … %s, no average of rough diamonds: a figure in cents, per gram or per parcel?",
			v, minUSDPerCarat, maxUSDPerCarat))
	}
	source := rec[4]
	switch {
	case needSource && strings.TrimSpace(source) == "":
		return e.at(row, "source", "is empty: say where the figure comes from, such as WGDE Valuation Data Matrix 2024")
	case strings.HasPrefix(source, "-"):
		return e.at(row, "source", fmt.Sprintf("%q starts as a spreadsheet formula may: begin the text otherwise", truncate(source, 20)))
	case len(source) > maxSourceLen:
		return e.at(row, "source", fmt.Sprintf("is %d bytes, at most %d", len(source), maxSourceLen))
	case !utf8.ValidString(source) || strings.ContainsFunc(source, unicode.IsControl):
		return e.at(row, "source", fmt.Sprintf("%q is not one line of UTF-8 text", truncate(source, 20)))
	case protocol.TextProblem(source, maxSourceLen, false) != "":
		return e.at(row, "source", protocol.TextProblem(source, maxSourceLen, false))
	}
	k := uvTableKey{origin, hs}
	for _, have := range u.byKey[k] {
		if have.year == year {
			if hs == allQualities && !needSource {
				return e.at(row, "year", fmt.Sprintf("%s %d is listed twice", origin, year))
			}
			return e.at(row, "year", fmt.Sprintf("%s %s %d is listed twice", origin, hs, year))
		}
	}
	u.byKey[k] = append(u.byKey[k], tableRow{year, v, source})
	return nil
}

// tableErr names the file of a table's errors.
type tableErr struct{ name string }

func (e tableErr) at(row int, column, msg string) error {
	return &UnitValuesError{File: e.name, Row: row, Column: column, Reason: msg}
}

// UnitValuesError is the error of [ParseUnitValues]: where in the file
// the table is wrong and why. It wraps [ErrUnitValues].
type UnitValuesError struct {
	File   string // the file's name; empty when the reader had none
	Row    int    // the CSV record, the header being row 1
	Column string // the column's name; empty for the whole row
	Reason string
}

func (e *UnitValuesError) Error() string {
	where := fmt.Sprintf("row %d", e.Row)
	if e.Column != "" {
		where += ", column " + e.Column
	}
	if e.File != "" {
		where = e.File + ": " + where
	}
	return fmt.Sprintf("%v: %s: %s", ErrUnitValues, where, e.Reason)
}

func (e *UnitValuesError) Unwrap() error { return ErrUnitValues }

// headerHint says what a spreadsheet did to a header that is not one of
// the two: saved it as UTF-16, or with semicolons or tabs between the
// columns; "" when it sees nothing of the kind.
func headerHint(header []string) string {
	const save = ": save it from the spreadsheet as \"CSV UTF-8 (Comma delimited)\""
	h := strings.Join(header, ",")
	switch {
	case strings.HasPrefix(h, "\xff\xfe") || strings.HasPrefix(h, "\xfe\xff") || strings.ContainsRune(h, 0):
		return "; the file is UTF-16 text" + save
	case len(header) == 1 && strings.Contains(h, ";"):
		return "; the columns are separated by semicolons" + save
	case len(header) == 1 && strings.Contains(h, "\t"):
		return "; the columns are separated by tabs" + save
	}
	return ""
}

// csvMessage describes a CSV syntax error without repeating encoding/csv's
// record numbering.
func csvMessage(err error, eof string) string {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	case errors.Is(err, io.EOF) && eof != "":
		return eof
	}
	return err.Error()
}

func isCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// Lookup returns the all-quality reference USD per carat of origin for
// year: the row of the latest year not after year, else the earliest row.
// ok is false when the table has no all-quality row for origin.
func (u UnitValues) Lookup(origin string, year int) (usdPerCarat protocol.USD, refYear int, ok bool) {
	r, ok := u.lookup(origin, allQualities, year)
	return r.value, r.year, ok
}

// lookup returns the row of (origin, hs) for year: the latest year not
// after it, else the earliest.
func (u UnitValues) lookup(origin, hs string, year int) (tableRow, bool) {
	vs := u.byKey[uvTableKey{origin, hs}]
	if len(vs) == 0 {
		return tableRow{}, false
	}
	best := vs[0]
	for _, v := range vs {
		if v.year <= year {
			best = v
		}
	}
	return best, true
}

// Len returns the number of rows.
func (u UnitValues) Len() int {
	n := 0
	for _, vs := range u.byKey {
		n += len(vs)
	}
	return n
}

// With returns u with the rows of newer added, a row of newer replacing
// u's row of the same origin, HS code and year: how an operator's newer
// valuation table is laid over the default one.
func (u UnitValues) With(newer UnitValues) UnitValues {
	out := UnitValues{byKey: map[uvTableKey][]tableRow{}}
	for k, vs := range u.byKey {
		out.byKey[k] = slices.Clone(vs)
	}
	for k, vs := range newer.byKey {
		for _, v := range vs {
			rows := slices.DeleteFunc(out.byKey[k], func(r tableRow) bool { return r.year == v.year })
			out.byKey[k] = append(rows, v)
		}
		slices.SortFunc(out.byKey[k], func(a, b tableRow) int { return a.year - b.year })
	}
	return out
}

// unit-values.csv is a copy of shared/data/unit-values.csv: public national
// production averages, the starting reference of rule R8.
//
//go:embed unit-values.csv
var unitValuesCSV string

var defaultUnitValues = sync.OnceValue(func() UnitValues {
	u, err := LoadUnitValues(strings.NewReader(unitValuesCSV))
	if err != nil {
		panic("reconcile: embedded unit-values.csv: " + err.Error()) // a build defect, caught by the tests
	}
	return u
})

// DefaultUnitValues returns the embedded copy of shared/data/unit-values.csv.
func DefaultUnitValues() UnitValues { return defaultUnitValues() }

// UnitValueRow is one line of a unit-value reference table.
type UnitValueRow struct {
	Origin      string
	HSCode      string // 7102.10, 7102.21, 7102.31, or "all" for an all-quality average
	Year        int
	USDPerCarat protocol.USD
	Note        string // the row's source
}

// Rows returns the table's lines sorted by origin, HS code, then year.
func (u UnitValues) Rows() []UnitValueRow {
	var out []UnitValueRow
	keys := slices.SortedFunc(maps.Keys(u.byKey), func(a, b uvTableKey) int {
		return cmp.Or(cmp.Compare(a.origin, b.origin), cmp.Compare(a.hs, b.hs))
	})
	for _, k := range keys {
		for _, r := range u.byKey[k] {
			out = append(out, UnitValueRow{Origin: k.origin, HSCode: k.hs, Year: r.year, USDPerCarat: r.value, Note: r.source})
		}
	}
	return out
}
