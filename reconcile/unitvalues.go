package reconcile

import (
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

	"github.com/kpnode/kpnode/protocol"
)

// UnitValues is a reference table of average USD per carat by origin and
// year (rule R8), such as the public national production averages of
// shared/data/unit-values.csv. The zero UnitValues is an empty table. A
// UnitValues is immutable and safe for concurrent use.
type UnitValues struct {
	byOrigin map[string][]tableRow // sorted by year
}

type tableRow struct {
	year  int
	value protocol.USD // per carat
	note  string
}

// Origins of the table that are not country codes.
const (
	originWorld = "WORLD" // the world average, reference of mixed origins
	originMixed = "MIXED" // a mixed-origin parcel, or more than one origin
)

// maxUnitValueRows bounds the rows LoadUnitValues reads.
const maxUnitValueRows = 100_000

var unitValueHeader = []string{"origin", "year", "usd_per_carat", "note"}

// LoadUnitValues reads a table in the format of unit-values.csv: UTF-8 CSV
// with the header "origin,year,usd_per_carat,note" (note may be left out),
// origin a two-letter country code or WORLD, year 1900..2200, usd_per_carat
// a decimal above zero with at most two places, and each (origin, year) at
// most once. Errors wrap [ErrUnitValues] and name the row (the header is
// row 1) and the column.
func LoadUnitValues(r io.Reader) (UnitValues, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return UnitValues{}, unitValueErr(1, "", csvMessage(err, "the header origin,year,usd_per_carat,note is missing"))
	}
	if len(header) < 3 || len(header) > 4 || !slices.Equal(header, unitValueHeader[:len(header)]) {
		return UnitValues{}, unitValueErr(1, "", fmt.Sprintf("header is %q, want origin,year,usd_per_carat,note", strings.Join(header, ",")))
	}
	u := UnitValues{byOrigin: map[string][]tableRow{}}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return UnitValues{}, unitValueErr(row, "", csvMessage(err, ""))
		}
		if row > maxUnitValueRows {
			return UnitValues{}, unitValueErr(row, "", fmt.Sprintf("more than %d rows", maxUnitValueRows))
		}
		if len(rec) != len(header) {
			return UnitValues{}, unitValueErr(row, "", fmt.Sprintf("has %d columns, the header %d", len(rec), len(header)))
		}
		if err := u.addRow(row, rec); err != nil {
			return UnitValues{}, err
		}
	}
	for _, vs := range u.byOrigin {
		slices.SortFunc(vs, func(a, b tableRow) int { return a.year - b.year })
	}
	return u, nil
}

func (u *UnitValues) addRow(row int, rec []string) error {
	origin := rec[0]
	if origin != originWorld && !isCode(origin) {
		return unitValueErr(row, "origin", fmt.Sprintf("%q is not a two-letter country code or WORLD", truncate(origin, 20)))
	}
	year, err := strconv.Atoi(rec[1])
	if err != nil || year < 1900 || year > 2200 {
		return unitValueErr(row, "year", fmt.Sprintf("%q is not a year 1900..2200", truncate(rec[1], 20)))
	}
	v, err := protocol.ParseUSD(rec[2])
	if err != nil || v <= 0 {
		return unitValueErr(row, "usd_per_carat", fmt.Sprintf("%q is not a decimal above zero with at most two places, such as 170 or 10.6", truncate(rec[2], 20)))
	}
	note := ""
	if len(rec) > 3 {
		note = rec[3]
	}
	for _, have := range u.byOrigin[origin] {
		if have.year == year {
			return unitValueErr(row, "year", fmt.Sprintf("%s %d is listed twice", origin, year))
		}
	}
	u.byOrigin[origin] = append(u.byOrigin[origin], tableRow{year, v, note})
	return nil
}

func unitValueErr(row int, column, msg string) error {
	if column == "" {
		return fmt.Errorf("%w: row %d: %s", ErrUnitValues, row, msg)
	}
	return fmt.Errorf("%w: row %d, column %s: %s", ErrUnitValues, row, column, msg)
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

// Lookup returns the reference USD per carat of origin for year: the row of
// the latest year not after year, else the earliest row. ok is false when
// the table has no row for origin.
func (u UnitValues) Lookup(origin string, year int) (usdPerCarat protocol.USD, refYear int, ok bool) {
	vs := u.byOrigin[origin]
	if len(vs) == 0 {
		return 0, 0, false
	}
	best := vs[0]
	for _, v := range vs {
		if v.year <= year {
			best = v
		}
	}
	return best.value, best.year, true
}

// Len returns the number of rows.
func (u UnitValues) Len() int {
	n := 0
	for _, vs := range u.byOrigin {
		n += len(vs)
	}
	return n
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
	Year        int
	USDPerCarat protocol.USD
	Note        string
}

// Rows returns the table's lines sorted by origin, then year.
func (u UnitValues) Rows() []UnitValueRow {
	var out []UnitValueRow
	for _, origin := range slices.Sorted(maps.Keys(u.byOrigin)) {
		for _, r := range u.byOrigin[origin] {
			out = append(out, UnitValueRow{Origin: origin, Year: r.year, USDPerCarat: r.value, Note: r.note})
		}
	}
	return out
}
