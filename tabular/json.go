package tabular

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/kpnode/kpnode/protocol"
)

// readJSONTable reads a JSON array of record bodies, or an object whose
// "items" member is one (a batch body is such an object). Items without
// "version" get "version": 1. Problems name the item (1 for the first) and
// the field's JSON path.
func readJSONTable(tk *tableKind, file string, data []byte, author string, progress func(done, total int)) (*Table, []RowError) {
	fileErr := func(format string, args ...any) []RowError {
		return []RowError{{File: file, Reason: fmt.Sprintf(format, args...)}}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, fileErr("is not valid UTF-8 (save the file as UTF-8)")
	}
	items, reason, err := jsonFileItems(data, tk)
	switch {
	case err != nil:
		return nil, fileErr("is not valid JSON: %s", syntaxReason(data, err))
	case reason != "":
		return nil, fileErr("%s", reason)
	}
	r := jsonTable{tk: tk, file: file, author: author, first: map[string]int{}}
	prog := newTableProgress(progress, len(items))
	for i, item := range items {
		r.item(i+1, item)
		prog.add(1)
	}
	return &Table{Bodies: r.bodies, Rows: r.rows}, r.errs
}

// jsonTable collects the bodies and problems of a JSON file's items.
type jsonTable struct {
	tk     *tableKind
	file   string
	author string         // the importing node's participant, or ""
	first  map[string]int // natural key → first item with it
	bodies [][]byte
	rows   []int // the item of each body
	errs   []RowError
}

// item validates item i, whose JSON text is raw.
func (r *jsonTable) item(i int, raw []byte) {
	if raw[0] != '{' {
		r.errs = append(r.errs, RowError{File: r.file, Row: i, Reason: "must be an object, a record body"})
		return
	}
	v, canon, key, err := canonicalValue(r.tk.typ, withVersion(raw))
	var ve *protocol.ValidationError
	field, reason := "", ""
	if err == nil {
		field, reason = authorReason(r.author, v)
	}
	switch {
	case errors.As(err, &ve):
		for _, fe := range ve.Errors {
			r.errs = append(r.errs, RowError{File: r.file, Row: i, Column: fe.Field, Reason: fe.Reason})
		}
	case err != nil:
		r.errs = append(r.errs, RowError{File: r.file, Row: i, Reason: err.Error()})
	case reason != "":
		r.errs = append(r.errs, RowError{File: r.file, Row: i, Column: field, Reason: reason})
	case r.first[key] != 0:
		r.errs = append(r.errs, RowError{File: r.file, Row: i, Column: r.tk.columns[r.tk.column(r.tk.key[0])].path,
			Reason: fmt.Sprintf("duplicate of item %d: the same %s", r.first[key], r.tk.keyNames())})
	default:
		r.first[key] = i
		r.bodies = append(r.bodies, canon)
		r.rows = append(r.rows, i)
	}
}

// withVersion returns an object with "version": 1 first when it has no
// "version" member.
func withVersion(obj []byte) []byte {
	if hasMember(obj, "version") {
		return obj
	}
	out := append(make([]byte, 0, len(obj)+13), `{"version":1`...)
	if !emptyObject(obj) {
		out = append(out, ',')
	}
	return append(out, obj[1:]...)
}

// writeJSONTable writes bodies as a JSON array, one compact body per line.
func writeJSONTable(bodies [][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, body := range bodies {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
		_ = json.Compact(&buf, body) // valid: checked by WriteTable
	}
	if len(bodies) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("]\n")
	return buf.Bytes()
}
