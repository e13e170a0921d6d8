package tabular

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Bulk import and export of the six importable record types as tables:
// CSV with a header row, or JSON. docs/records.md, "Import and export
// formats", is the user's reference; the column tables below are its
// source.

// MaxTableSize caps a file given to [ReadTable], in bytes.
const MaxTableSize = 256 << 20

// Table formats, the format argument of [ReadTable] and [WriteTable].
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Kind is a kind of record that can be imported and exported as a table,
// named as on the command line ("certificates").
type Kind struct {
	Name    string   // CLI name: "certificates", "trade-statistics", …
	Type    string   // record type: "certificate", "trade_statistics", …
	Columns []Column // the CSV columns, in the order WriteTable writes them
}

// Column is one documented CSV column of a [Kind].
type Column struct {
	Name     string // header name, such as "exporter_licence"
	Doc      string // one line for users
	Required bool   // the header must have it
}

// Kinds returns the six importable kinds in documentation order. The
// caller owns the result.
func Kinds() []Kind {
	out := make([]Kind, len(tableKinds))
	for i, tk := range tableKinds {
		out[i] = tk.kind()
	}
	return out
}

// LookupKind returns the kind with CLI name name, such as "certificates";
// the record type name ("certificate") is accepted too.
func LookupKind(name string) (Kind, bool) {
	tk := lookupTableKind(name)
	if tk == nil {
		return Kind{}, false
	}
	return tk.kind(), true
}

func lookupTableKind(name string) *tableKind {
	for _, tk := range tableKinds {
		if tk.name == name || tk.typ == name {
			return tk
		}
	}
	return nil
}

// RowError is one problem with one row of an imported file. Row counts the
// header as row 1, so that the first data row of a CSV file is 2, as a
// spreadsheet shows it; blank lines count. In a JSON file Row is the item's
// position (the first item is 1) and Column the field's JSON path. Row 0
// means the file as a whole; an empty Column, the row as a whole.
type RowError struct {
	File   string `json:"file"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// Error formats e as "file.csv:12:carats: reason", leaving out the column
// or the row when it has none.
func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Row > 0 {
		b.WriteString(":" + strconv.Itoa(e.Row))
	}
	if e.Column != "" {
		b.WriteString(":" + e.Column)
	}
	return b.String() + ": " + e.Reason
}

// escaped returns e with the file's text it quotes (file name, column
// name, reason) escaped where it is not printable: a binary file's bytes
// never reach a terminal or a log raw.
func (e RowError) escaped() RowError {
	e.File, e.Column, e.Reason = escapeText(e.File), escapeText(e.Column), escapeText(e.Reason)
	return e
}

// ImportError lists every problem found in an imported file; a file with
// any problem is refused whole.
type ImportError struct {
	Errors []RowError // at least one, by row
	Format string     // "csv" or "json": whether Row counts rows or items
}

// Summary counts the problems and the rows (items of a JSON file) they
// are in: "1 problem in the file", "2 problems in 1 row",
// "3 problems in 2 rows and the file as a whole".
func (e *ImportError) Summary() string {
	rows := map[int]bool{}
	whole := false
	for _, re := range e.Errors {
		if re.Row > 0 {
			rows[re.Row] = true
		} else {
			whole = true
		}
	}
	unit := "row"
	if e.Format == FormatJSON {
		unit = "item"
	}
	where := plural(len(rows), unit)
	switch {
	case len(rows) == 0:
		where = "the file"
	case whole:
		where += " and the file as a whole"
	}
	return plural(len(e.Errors), "problem") + " in " + where
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// maxListedErrors caps the problems ImportError.Error lists.
const maxListedErrors = 20

// Error lists the first 20 problems, one per line after a summary, and
// says how many more there are.
func (e *ImportError) Error() string {
	var b strings.Builder
	file := ""
	if len(e.Errors) > 0 {
		file = e.Errors[0].File
	}
	fmt.Fprintf(&b, "import %s: %s, nothing imported", file, e.Summary())
	for i, re := range e.Errors {
		if i == maxListedErrors {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Errors)-maxListedErrors)
			break
		}
		b.WriteString("\n  " + re.Error())
	}
	return b.String()
}

// ReadTable reads a file of records of kind and returns one validated body
// per record, in the file's order: compact JSON in canonical form (the
// members in schema order, amounts with two decimals, "version": 1), so
// that the same record always gives the same bytes. format is "csv",
// "json", or "" to choose by file's extension (".json", else CSV); file
// names the file in errors. r is read to its end, at most [MaxTableSize]
// bytes. A large CSV file is checked on up to GOMAXPROCS goroutines, which
// have all ended when ReadTable returns.
//
// Every row is checked before ReadTable returns. If any has a problem, it
// returns nil and an *[ImportError] listing every problem as
// file:row:column with the reason, including records whose natural key
// repeats an earlier row's. Other errors (reading r, an unknown kind or
// format) are returned as they are. docs/records.md, "Import and export
// formats", documents the columns and conventions.
func ReadTable(kind Kind, file string, r io.Reader, format string) ([][]byte, error) {
	return ReadTableAs(kind, file, r, format, "")
}

// ReadTableAs is [ReadTable] for the node of participant author: a record
// that author may not write ([protocol.CheckAuthor]: a certificate whose issuer,
// statistics whose reporter is another authority) is a problem of its row
// and column, as any other. An empty author checks no author.
func ReadTableAs(kind Kind, file string, r io.Reader, format, author string) ([][]byte, error) {
	t, err := ReadTableRows(kind, file, r, format, author)
	if err != nil {
		return nil, err
	}
	return t.Bodies, nil
}

// Table is a file read by [ReadTableRows]: the validated bodies, in file
// order, and the row each starts on (for a JSON file, the item, from 1).
type Table struct {
	Bodies [][]byte
	Rows   []int // len(Rows) == len(Bodies)
}

// ReadTableRows is [ReadTableAs] that also returns the row of each body,
// so that a problem found later (a node's check of a correction against
// its feed) can name the row.
func ReadTableRows(kind Kind, file string, r io.Reader, format, author string) (*Table, error) {
	return ReadTableProgress(kind, file, r, format, author, nil)
}

// ReadTableProgress is [ReadTableRows] that reports, while it validates
// the records, how many of them are done: progress(done, total) is called
// from several goroutines, every few hundred records and once with done
// == total; a nil progress is not called.
func ReadTableProgress(kind Kind, file string, r io.Reader, format, author string, progress func(done, total int)) (*Table, error) {
	return ReadTableOptions(kind, file, r, format, ReadOptions{Author: author, Progress: progress})
}

// ReadTableOptions is [ReadTableProgress] with the options o: the author,
// the files uploaded for the attachments column, the progress function.
func ReadTableOptions(kind Kind, file string, r io.Reader, format string, o ReadOptions) (*Table, error) {
	tk := lookupTableKind(kind.Name)
	if tk == nil {
		return nil, fmt.Errorf("read table: unknown kind %q", truncate(kind.Name, 40))
	}
	format, err := tableFormat(format, file)
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxTableSize+1))
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", file, err)
	}
	if len(data) > MaxTableSize {
		return nil, &ImportError{Errors: []RowError{{File: file, Reason: fmt.Sprintf("file exceeds the limit of %d bytes", MaxTableSize)}}}
	}
	if reason := sniffTable(tk, data, format); reason != "" {
		return nil, &ImportError{Format: format, Errors: []RowError{{File: escapeText(file), Reason: reason}}}
	}
	var tab *Table
	var errs []RowError
	if format == FormatJSON {
		tab, errs = readJSONTable(tk, file, data, o.Author, o.Progress)
	} else {
		tab, errs = readCSVTable(tk, file, data, o)
	}
	if len(errs) > 0 {
		sortRowErrors(errs)
		for i := range errs {
			errs[i] = errs[i].escaped()
		}
		return nil, &ImportError{Format: format, Errors: errs}
	}
	return tab, nil
}

// ColumnOf returns the CSV column that holds the body member at JSON path
// path ("supersedes.seq" gives "supersedes_seq"), or path itself when no
// column does.
func (k Kind) ColumnOf(path string) string {
	tk := lookupTableKind(k.Name)
	if tk == nil {
		return path
	}
	return (&csvTable{tk: tk}).columnName(path)
}

// WriteTable writes bodies of records of kind as a file that [ReadTable]
// reads back to the same records: CSV with a header row naming every
// column of kind, or a JSON array with one body per line. format is "csv"
// or "json". Every body is validated first; an invalid one is an error
// naming its index, and nothing is written.
func WriteTable(kind Kind, w io.Writer, format string, bodies [][]byte) error {
	tk := lookupTableKind(kind.Name)
	if tk == nil {
		return fmt.Errorf("write table: unknown kind %q", truncate(kind.Name, 40))
	}
	if format != FormatCSV && format != FormatJSON {
		return fmt.Errorf("write table: unknown format %q (want csv or json)", truncate(format, 40))
	}
	for i, body := range bodies {
		if err := protocol.ValidateRecord(tk.typ, body); err != nil {
			return fmt.Errorf("write table: body %d: %w", i, err)
		}
	}
	var out []byte
	if format == FormatJSON {
		out = writeJSONTable(bodies)
	} else {
		out = tk.writeCSV(bodies)
	}
	_, err := w.Write(out)
	return err
}

// tableFormat resolves the format argument of ReadTable.
func tableFormat(format, file string) (string, error) {
	switch format {
	case FormatCSV, FormatJSON:
		return format, nil
	case "":
		if strings.EqualFold(filepath.Ext(file), ".json") {
			return FormatJSON, nil
		}
		return FormatCSV, nil
	}
	return "", fmt.Errorf("unknown format %q (want csv or json)", truncate(format, 40))
}

// canonicalRecord validates body as a record of type typ and returns it in
// canonical form, the typed record marshalled compactly without HTML
// escaping, and its natural key.
func canonicalRecord(typ string, body []byte) (canon []byte, key string, err error) {
	_, canon, key, err = canonicalValue(typ, body)
	return canon, key, err
}

// canonicalValue is canonicalRecord that also returns the parsed record.
func canonicalValue(typ string, body []byte) (v any, canon []byte, key string, err error) {
	v, err = protocol.ParseRecord(typ, body)
	if err != nil {
		return nil, nil, "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, nil, "", err
	}
	if k, ok := v.(interface{ NaturalKey() string }); ok {
		key = k.NaturalKey()
	}
	return v, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), key, nil
}

// authorReason returns why the node of participant author may not write
// parsed record v, and the field at fault, or "" when it may (or author
// is empty).
func authorReason(author string, v any) (field, reason string) {
	var ae *protocol.AuthorError
	if author == "" || !errors.As(protocol.CheckAuthor(author, v), &ae) {
		return "", ""
	}
	return ae.Claim.Field, fmt.Sprintf("is %s, but this node is %s's: it cannot write in another authority's name", ae.Claim.Code, author)
}
