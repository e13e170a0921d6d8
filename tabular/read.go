package tabular

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kpnode/kpnode/protocol"
)

// csvTable reads one CSV file of a kind: the header, then the records,
// grouped into one per row or, for certificates, one per certificate.
type csvTable struct {
	tk     *tableKind
	file   string
	author string                           // the importing node's participant, or ""
	files  map[string]protocol.AttachedFile // uploaded for the attachments column
	// sameName maps each file name the attachments column names to the
	// different paths naming it (files.go), when files were given.
	sameName map[string][]pathAt
	text     string
	header   []int    // by column of tk: its position in the header, or -1
	names    []string // by position in the header: the column's name, or ""
	width    int      // fields in the header
	errs     []RowError
	// cellErrs marks the cells already reported, so that the validator's
	// view of the same problem is not reported again.
	cellErrs map[cellRef]bool
	progress *tableProgress // nil: report nothing
}

type cellRef struct {
	row    int
	column string
}

// csvRecord is a data record: its row number and where it starts in text.
type csvRecord struct {
	row, pos int
}

// csvRow is a record read back for building its body.
type csvRow struct {
	row   int
	cells []csvCell
}

func readCSVTable(tk *tableKind, file string, data []byte, o ReadOptions) (*Table, []RowError) {
	progress := o.Progress
	t := &csvTable{tk: tk, file: file, author: o.Author, files: o.Files, text: strings.TrimPrefix(string(data), "\uFEFF"), cellErrs: map[cellRef]bool{}}
	sc := &csvScanner{data: t.text}
	if !t.readHeader(sc) {
		return nil, t.errs
	}
	if len(t.files) > 0 {
		t.sameName = pathsByName(tk, file, t.text)
	}
	groups := t.readRecords(sc)
	t.progress = newTableProgress(progress, len(groups))
	tab := t.buildAll(groups)
	if len(t.errs) > 0 {
		return nil, t.errs
	}
	return tab, nil
}

// minGroupsPerWorker is the least work worth a goroutine of buildAll.
const minGroupsPerWorker = 256

// buildAll builds and validates the record of every group, in parallel
// on up to GOMAXPROCS goroutines that have all ended when it returns. Each
// works on a contiguous run of groups with its own problem list, merged in
// order, so the result does not depend on scheduling.
func (t *csvTable) buildAll(groups [][]csvRecord) *Table {
	results := make([][]byte, len(groups))
	workers := min(runtime.GOMAXPROCS(0), (len(groups)+minGroupsPerWorker-1)/minGroupsPerWorker)
	if workers <= 1 {
		for i, g := range groups {
			results[i] = t.build(g)
			t.progress.add(1)
		}
	} else {
		parts := make([]*csvTable, workers)
		chunk := (len(groups) + workers - 1) / workers
		var wg sync.WaitGroup
		for w := range parts {
			part := &csvTable{tk: t.tk, file: t.file, author: t.author, files: t.files, sameName: t.sameName, text: t.text, header: t.header, names: t.names, width: t.width, cellErrs: map[cellRef]bool{}, progress: t.progress}
			parts[w] = part
			lo, hi := w*chunk, min((w+1)*chunk, len(groups))
			wg.Go(func() {
				for i := lo; i < hi; i++ {
					results[i] = part.build(groups[i])
					part.progress.add(1)
				}
			})
		}
		wg.Wait()
		for _, part := range parts {
			t.errs = append(t.errs, part.errs...)
		}
	}
	tab := &Table{Bodies: make([][]byte, 0, len(results)), Rows: make([]int, 0, len(results))}
	for i, b := range results {
		if b != nil {
			tab.Bodies = append(tab.Bodies, b)
			tab.Rows = append(tab.Rows, groups[i][0].row)
		}
	}
	return tab
}

// build builds and validates the record of one group of records.
func (t *csvTable) build(g []csvRecord) []byte {
	rows := t.reread(g)
	if t.tk.lines {
		return t.certificate(rows)
	}
	return t.record(rows[0])
}

func (t *csvTable) errorf(row int, column, format string, args ...any) {
	t.errs = append(t.errs, RowError{File: t.file, Row: row, Column: column, Reason: fmt.Sprintf(format, args...)})
}

// cellError reports a problem with a cell and remembers it.
func (t *csvTable) cellError(row int, column, reason string) {
	t.cellErrs[cellRef{row, column}] = true
	t.errs = append(t.errs, RowError{File: t.file, Row: row, Column: column, Reason: reason})
}

// readHeader reads the first non-blank row as the header and maps its
// names to the kind's columns. It reports false after reporting problems.
func (t *csvTable) readHeader(sc *csvScanner) bool {
	for {
		cells, reason, ok := sc.next()
		switch {
		case !ok:
			t.errorf(1, "", "the file is empty: it needs a header row naming the columns (%s)", t.tk.columnNames())
			return false
		case reason != "":
			t.errorf(sc.row, "", "header: %s", reason)
			return false
		case blankRecord(cells):
			continue
		}
		return t.mapHeader(sc.row, cells)
	}
}

func (t *csvTable) mapHeader(row int, cells []csvCell) bool {
	if reason := t.foreignHeader(cells); reason != "" {
		t.errorf(row, "", "%s", reason)
		return false
	}
	t.width = len(cells)
	t.header = slices.Repeat([]int{-1}, len(t.tk.columns))
	t.names = make([]string, len(cells))
	for i, c := range cells {
		if !utf8.ValidString(c.text) {
			t.errorf(row, "", "column %d: the header is not valid UTF-8 (save the file as UTF-8)", i+1)
			continue
		}
		name := strings.ToLower(strings.TrimSpace(c.text))
		ci := t.tk.column(name)
		switch {
		case name == "":
		case ci < 0 && name == FilesColumn:
			t.errorf(row, FilesColumn, "%s", noFilesReason(t.tk))
		case ci < 0:
			t.errorf(row, strings.TrimSpace(c.text), "unknown column; the columns of %s are %s", t.tk.name, t.tk.columnNames())
		case t.header[ci] >= 0:
			t.errorf(row, name, "duplicate column (columns %d and %d)", t.header[ci]+1, i+1)
		default:
			t.header[ci] = i
			t.names[i] = name
		}
	}
	for ci, c := range t.tk.columns {
		if c.required && t.header[ci] < 0 {
			t.errorf(row, c.name, "required column is missing")
		}
	}
	return len(t.errs) == 0
}

// foreignHeader says what the first row is when it names none of the
// kind's columns: the header of another kind (the wrong file, or the
// wrong KIND), or no header at all (data from the first row). One message
// replaces a problem for every column.
func (t *csvTable) foreignHeader(cells []csvCell) string {
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = c.text
	}
	mine, named := knownColumns(t.tk, names), 0
	for _, n := range names {
		if strings.TrimSpace(n) != "" {
			named++
		}
	}
	for _, other := range tableKinds {
		if other != t.tk && knownColumns(other, names) == named && named > mine {
			return fmt.Sprintf("the header names the columns of %s, not %s: is this the right file? (import it with: kpnode import %s FILE)", other.name, t.tk.name, other.name)
		}
	}
	if mine > 0 {
		return ""
	}
	first := strings.Join(names, ",")
	return fmt.Sprintf("the first row must be the header naming the columns of %s (%s), but it names none of them: it starts %q", t.tk.name, t.tk.columnNames(), truncate(first, 60))
}

// readRecords reads every data record, reporting those that are not well
// formed, and groups the others: one record per group, or the records of
// one certificate.
func (t *csvTable) readRecords(sc *csvScanner) [][]csvRecord {
	var groups [][]csvRecord
	index := map[string]int{}    // certificate key → group
	firstRow := map[string]int{} // natural key → row, for other kinds
	validText := utf8.ValidString(t.text)
	for {
		pos := sc.pos
		cells, reason, ok := sc.next()
		if !ok {
			return groups
		}
		if reason != "" {
			t.errorf(sc.row, "", "%s", reason)
			continue
		}
		if blankRecord(cells) || !t.wellFormed(sc.row, cells, validText) {
			continue
		}
		rec := csvRecord{row: sc.row, pos: pos}
		key := t.key(cells)
		if !t.tk.lines {
			if first, dup := firstRow[key]; dup && key != "" {
				t.errorf(rec.row, t.tk.key[0], "duplicate of row %d: the same %s", first, t.tk.keyNames())
			} else if key != "" {
				firstRow[key] = rec.row
			}
			groups = append(groups, []csvRecord{rec})
			continue
		}
		if g, ok := index[key]; ok && key != "" {
			groups[g] = append(groups[g], rec)
			continue
		}
		index[key] = len(groups)
		groups = append(groups, []csvRecord{rec})
	}
}

// wellFormed reports whether a record has as many fields as the header,
// valid UTF-8 and nothing in columns without a name.
func (t *csvTable) wellFormed(row int, cells []csvCell, validText bool) bool {
	if len(cells) != t.width {
		t.errorf(row, "", "has %d values, the header has %d columns (a missing or extra comma, or a comma in a value that is not quoted?)", len(cells), t.width)
		return false
	}
	ok := true
	for i, c := range cells {
		if !validText && !utf8.ValidString(c.text) {
			t.errorf(row, t.names[i], "is not valid UTF-8 (save the file as UTF-8)")
			ok = false
		} else if t.names[i] == "" && strings.TrimSpace(c.text) != "" {
			t.errorf(row, "", "has a value in column %d, which has no name in the header", i+1)
			ok = false
		}
	}
	return ok
}

// key returns the natural key of a record from its cells, or "" when a key
// cell is blank.
func (t *csvTable) key(cells []csvCell) string {
	var parts []string
	for _, name := range t.tk.key {
		s := t.value(cells, t.tk.column(name))
		if s == "" {
			return ""
		}
		parts = append(parts, s)
	}
	for _, name := range t.tk.optKey {
		parts = append(parts, t.value(cells, t.tk.column(name)))
	}
	return strings.Join(parts, "\x00")
}

// keyNames lists the columns of the natural key, optional ones included.
func (tk *tableKind) keyNames() string {
	return keyNames(append(slices.Clip(tk.key), tk.optKey...))
}

func keyNames(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// reread reads the records of a group again.
func (t *csvTable) reread(g []csvRecord) []csvRow {
	rows := make([]csvRow, len(g))
	for i, rec := range g {
		sc := csvScanner{data: t.text, pos: rec.pos, row: rec.row - 1, cells: make([]csvCell, 0, t.width)}
		cells, _, _ := sc.next()
		rows[i] = csvRow{row: rec.row, cells: cells}
	}
	return rows
}

// value returns the text of column ci in cells as the column reads it:
// trimmed, except quoted text; codes uppercased; free text without the
// quote the writer puts before a formula-like value (tabular_formula.go);
// "" for a blank cell or an absent column.
func (t *csvTable) value(cells []csvCell, ci int) string {
	if ci < 0 || t.header[ci] < 0 {
		return ""
	}
	c := t.tk.columns[ci]
	cell := cells[t.header[ci]]
	s := cell.text
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if !cell.quoted || (c.cell != cellText && c.cell != cellMultiline) {
		s = strings.TrimSpace(s)
	}
	switch c.cell {
	case cellCode, cellNumber, cellPeriod, cellOrigin:
		s = strings.ToUpper(s)
	case cellFlow:
		s = strings.ToLower(s)
	case cellText, cellMultiline:
		s = unguardCell(s)
	}
	return s
}

// record builds and validates the body of a one-row record.
func (t *csvTable) record(r csvRow) []byte {
	b := newBodyWriter()
	for ci, c := range t.tk.columns {
		t.member(b, r, ci, c)
	}
	return t.validate(b.close(), func(path string) (int, string, string) {
		return r.row, t.columnName(path), ""
	})
}

// member writes the member of column ci from row r, or reports its cell.
func (t *csvTable) member(b *bodyWriter, r csvRow, ci int, c tableColumn) {
	s := t.value(r.cells, ci)
	if s == "" || c.path == "" {
		return
	}
	if c.importOnly && c.path == "supersedes.item" {
		// the deprecated 0-based supersedes_item: supersedes_item_no,
		// when given, says it, and the two must agree.
		if no := t.value(r.cells, t.tk.column("supersedes_item_no")); no != "" {
			old, err1 := strconv.ParseInt(s, 10, 64)
			n, err2 := strconv.ParseInt(no, 10, 64)
			if err1 != nil || err2 != nil || n != old+1 {
				t.cellError(r.row, c.name, fmt.Sprintf("supersedes_item %s counts from 0 and names item %s, but supersedes_item_no %s counts from 1: they disagree; give only supersedes_item_no", s, itemNoOf(s), no))
			}
			return
		}
	}
	if c.cell == cellFiles {
		t.filesMember(b, r.row, c, s)
		return
	}
	if reason := b.member(c.path, c, s); reason != "" {
		t.cellError(r.row, c.name, reason)
	}
}

// validate validates body, written in canonical form, and reports the
// validator's problems, each placed by where (row, column, and a note to
// append to the reason). It returns nil when there was any problem.
func (t *csvTable) validate(body []byte, where func(path string) (row int, column, note string)) []byte {
	v, err := protocol.ParseRecord(t.tk.typ, body) // body is written in canonical form
	if field, reason := authorReason(t.author, v); err == nil && reason != "" {
		row, column, note := where(field)
		t.errorf(row, column, "%s%s", reason, note)
		return nil
	}
	var ve *protocol.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			row, column, note := where(fe.Field)
			if row == 0 || t.cellErrs[cellRef{row, column}] {
				continue // already reported, or caused by a reported cell
			}
			t.errorf(row, column, "%s%s", fe.Reason, note)
		}
		return nil
	}
	if err != nil {
		t.errorf(0, "", "%v", err)
		return nil
	}
	return body
}

// columnName maps a field path of a body to the column it comes from.
func (t *csvTable) columnName(path string) string {
	base := path
	if i := strings.IndexByte(base, '['); i >= 0 {
		base = base[:i] // origin[1]
	}
	if ci := t.tk.columnOf(base); ci >= 0 {
		return t.tk.columns[ci].name
	}
	for _, c := range t.tk.columns {
		if strings.HasPrefix(c.path, base+".") {
			return c.name // exporter, supersedes
		}
	}
	return path
}

// sortRowErrors sorts problems by row, keeping the order within a row.
func sortRowErrors(errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
}

// itemNoOf returns the 1-based number of the 0-based index s, or s.
func itemNoOf(s string) string {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(i+1, 10)
	}
	return s
}
