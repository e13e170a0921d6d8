package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
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
	keep := 2 // the array and its items
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		keep = 3 // the object, its members, and the items
	}
	d, ok := scanJSONDepth(data, keep)
	if !ok {
		return nil, fileErr("is not valid JSON: %s", syntaxReason(data))
	}
	items, reason := jsonItems(d, tk)
	if reason != "" {
		return nil, fileErr("%s", reason)
	}
	r := jsonTable{tk: tk, file: file, author: author, first: map[string]int{}}
	total := 0
	for j := items + 1; j < d.nodes[items].next; j = d.nodes[j].next {
		total++
	}
	prog := newTableProgress(progress, total)
	i := 0
	for j := items + 1; j < d.nodes[items].next; j = d.nodes[j].next {
		i++
		r.item(i, d, j)
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

// item validates item i, node n of d.
func (r *jsonTable) item(i int, d *jsonDoc, n int32) {
	if d.nodes[n].kind != '{' {
		r.errs = append(r.errs, RowError{File: r.file, Row: i, Reason: "must be an object, a record body"})
		return
	}
	v, canon, key, err := canonicalValue(r.tk.typ, withVersion(d.raw(n)))
	var ve *ValidationError
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

// jsonItems returns the node of the array of items, or why there is none.
func jsonItems(d *jsonDoc, tk *tableKind) (int32, string) {
	const want = `must be a JSON array of records, or an object with "items"`
	switch d.nodes[0].kind {
	case '[':
		return 0, ""
	case '{':
	default:
		return 0, want
	}
	if k, dup := d.duplicateKey(0); dup {
		return 0, fmt.Sprintf("duplicate member %q", k)
	}
	items := int32(-1)
	for j := int32(1); j < d.nodes[0].next; j = d.nodes[j].next {
		raw := truncate(string(d.raw(j)), 40)
		switch k := d.key(j); k {
		case "items":
			if d.nodes[j].kind != '[' {
				return 0, `"items" must be an array of records`
			}
			items = j
		case "version":
			if raw != "1" {
				return 0, fmt.Sprintf(`"version" must be 1, got %s`, raw)
			}
		case "type":
			if raw != strconv.Quote(tk.typ) {
				return 0, fmt.Sprintf(`"type" must be %q for %s, got %s`, tk.typ, tk.name, raw)
			}
		default:
			return 0, fmt.Sprintf("unexpected member %q: the file %s", truncate(k, 40), want)
		}
	}
	if items < 0 {
		return 0, want
	}
	return items, ""
}

// withVersion returns an object with "version": 1 first when it has no
// "version" member.
func withVersion(obj []byte) []byte {
	d, ok := scanJSONDepth(obj, 2)
	if !ok {
		return obj
	}
	if _, has := d.lookup(0, "version"); has {
		return obj
	}
	out := append(make([]byte, 0, len(obj)+13), `{"version":1`...)
	if d.children(0) > 0 {
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
