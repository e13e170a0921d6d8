package protocol

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
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
	d, err := scanJSON(b)
	var se *jsontext.SyntacticError
	switch {
	case errors.As(err, &se) && se.Err == jsontext.ErrDuplicateName:
		c.add(pointerPath(se.JSONPointer), "duplicate key")
		return nil
	case err != nil:
		c.add("", "document is not valid JSON: %s", syntaxReason(err))
		return nil
	}
	return c.object("", d, 0)
}

// syntaxReason returns jsontext's description of a syntax error, which
// says where it is, without its prefix.
func syntaxReason(err error) string {
	if err == io.ErrUnexpectedEOF {
		return "unexpected end of JSON input"
	}
	return strings.TrimPrefix(err.Error(), "jsontext: ")
}

// pointerPath returns a JSON pointer as a field path ("lines[0].carats"):
// record members are never named by digits, so those are array indices.
func pointerPath(p jsontext.Pointer) string {
	path := ""
	for tok := range p.Tokens() {
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 {
			path = indexPath(path, i)
		} else {
			path = joinPath(path, tok)
		}
	}
	return path
}

// object is one JSON object of a scanned document, whose members the
// readers of fields.go take one by one; done reports the others.
type object struct {
	c    *checker
	d    *jsonDoc
	n    int32  // the object's node
	path string // its JSON path
}

// object returns node n of d as an object, rejecting anything but an object
// (scanJSON has refused duplicate member names). It returns nil after reporting an error.
func (c *checker) object(path string, d *jsonDoc, n int32) *object {
	if d.nodes[n].kind != '{' {
		c.add(path, "must be an object")
		return nil
	}
	return &object{c: c, d: d, n: n, path: path}
}

// member returns the node of member name.
func (o *object) member(name string) (int32, bool) {
	for j := o.n + 1; j < o.d.nodes[o.n].next; j = o.d.nodes[j].next {
		if o.d.keyIs(j, name) {
			return j, true
		}
	}
	return 0, false
}

// at returns the path of member name, for an error message.
func (o *object) at(name string) string { return joinPath(o.path, name) }

// done reports every member that no reader asked for.
func (o *object) done() {
	if o == nil {
		return
	}
	for j := o.n + 1; j < o.d.nodes[o.n].next; j = o.d.nodes[j].next {
		if !o.d.nodes[j].used {
			o.c.add(o.at(o.d.key(j)), "unknown field")
		}
	}
}

// get returns the node of member name and marks it as read. A missing
// member or null is reported when required and returns ok false.
func (o *object) get(name string, required bool) (n int32, ok bool) {
	if o == nil {
		return 0, false
	}
	n, ok = o.member(name)
	if ok {
		o.d.nodes[n].used = true
	}
	if !ok || o.d.nodes[n].kind == 'n' {
		if required {
			o.c.add(o.at(name), "is required")
		}
		return 0, false
	}
	return n, true
}

// has reports whether member name is present and not null.
func (o *object) has(name string) bool {
	if o == nil {
		return false
	}
	n, ok := o.member(name)
	return ok && o.d.nodes[n].kind != 'n'
}

// version requires "version": 1 and reports whether it was found.
func (o *object) version() bool {
	n, ok := o.get("version", true)
	if !ok {
		return false
	}
	if raw := o.d.raw(n); string(raw) != "1" {
		o.c.add(o.at("version"), "unsupported version %s, want 1", truncate(string(raw), 20))
		return false
	}
	return true
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
