package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodySize caps a record body given to a validator, in bytes.
const MaxBodySize = 1 << 20

// FieldError is one problem with one field of a JSON document. In JSON it
// is {"field": …, "reason": …}.
type FieldError struct {
	// Field is the JSON path of the field, such as
	// "fraudulent_certificate.certificate_numbers[1]"; empty for the
	// document as a whole.
	Field string `json:"field"`
	// Reason says what is wrong, such as "is required".
	Reason string `json:"reason"`
}

// String formats the error as `field "path": reason`.
func (e FieldError) String() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
}

// ValidationError lists every problem a validator found in a document. It is
// returned by [ValidateRecord], [ParseNotice], [SignCard] and [ParseCard].
type ValidationError struct {
	Type   string // what was validated: a record type name, "card" or "card file"
	Errors []FieldError
}

// Error returns "invalid <type>: " and the problems joined by "; ".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.String()
	}
	return "invalid " + e.Type + ": " + strings.Join(parts, "; ")
}

// Reason returns the first reason given for field and whether there was one.
func (e *ValidationError) Reason(field string) (string, bool) {
	for _, fe := range e.Errors {
		if fe.Field == field {
			return fe.Reason, true
		}
	}
	return "", false
}

// checker collects field errors while a document is read.
type checker struct {
	errs []FieldError
}

func (c *checker) add(path, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Field: path, Reason: fmt.Sprintf(format, args...)})
}

// err returns a *ValidationError for typ, or nil when nothing was found.
func (c *checker) err(typ string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Type: typ, Errors: c.errs}
}

// document checks the framing of a whole JSON document of at most max bytes
// (valid UTF-8, a single JSON value) and returns its top-level object.
func (c *checker) document(b []byte, max int) *object {
	if len(b) > max {
		c.add("", "document of %d bytes exceeds the limit of %d", len(b), max)
		return nil
	}
	if !utf8.Valid(b) {
		c.add("", "document is not valid UTF-8")
		return nil
	}
	var v json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		c.add("", "document is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		return nil
	}
	return c.object("", v)
}

// object holds the members of one JSON object and which were read.
type object struct {
	c      *checker
	path   string
	keys   []string
	fields map[string]json.RawMessage
	used   map[string]bool
}

// object splits raw, a valid JSON value, into members, rejecting anything
// but an object and duplicate keys. It returns nil after reporting an error.
func (c *checker) object(path string, raw json.RawMessage) *object {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		c.add(path, "must be an object")
		return nil
	}
	o := &object{c: c, path: path, fields: map[string]json.RawMessage{}, used: map[string]bool{}}
	for dec.More() {
		key, v, err := member(dec)
		if err != nil {
			c.add(path, "invalid JSON: %v", err)
			return nil
		}
		if _, dup := o.fields[key]; dup {
			c.add(joinPath(path, key), "duplicate key")
			return nil
		}
		o.keys = append(o.keys, key)
		o.fields[key] = v
	}
	return o
}

// member reads one key and its raw value.
func member(dec *json.Decoder) (string, json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", nil, err
	}
	var v json.RawMessage
	err = dec.Decode(&v)
	return tok.(string), v, err
}

// done reports every member that no reader asked for.
func (o *object) done() {
	if o == nil {
		return
	}
	for _, k := range o.keys {
		if !o.used[k] {
			o.c.add(joinPath(o.path, k), "unknown field")
		}
	}
}

// get returns the raw value of member name and its path. A missing member
// or null is reported when required and returns ok false.
func (o *object) get(name string, required bool) (raw json.RawMessage, path string, ok bool) {
	if o == nil {
		return nil, "", false
	}
	path = joinPath(o.path, name)
	o.used[name] = true
	raw, ok = o.fields[name]
	if !ok || string(raw) == "null" {
		if required {
			o.c.add(path, "is required")
		}
		return nil, path, false
	}
	return raw, path, true
}

// has reports whether member name is present and not null.
func (o *object) has(name string) bool {
	if o == nil {
		return false
	}
	raw, ok := o.fields[name]
	return ok && string(raw) != "null"
}

// version requires "version": 1 and reports whether it was found.
func (o *object) version() bool {
	raw, path, ok := o.get("version", true)
	if ok && string(raw) != "1" {
		o.c.add(path, "unsupported version %s, want 1", truncate(string(raw), 20))
		return false
	}
	return ok
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// truncate shortens s for quoting in an error message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
