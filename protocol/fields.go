package protocol

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Readers for typed members of an object. Each marks the member as read,
// reports every problem under the member's path and returns the zero value
// when the member is missing or invalid.

// str reads a single-line string of at most max characters. An empty or
// all-blank string counts as missing.
func (o *object) str(name string, required bool, max int) string {
	return o.textual(name, required, max, false)
}

// text reads a string of at most max characters that may contain newlines
// and tabs.
func (o *object) text(name string, required bool, max int) string {
	return o.textual(name, required, max, true)
}

func (o *object) textual(name string, required bool, max int, multiline bool) string {
	raw, path, ok := o.get(name, required)
	if !ok {
		return ""
	}
	s, ok := o.c.stringValue(path, raw)
	if !ok || !o.c.checkText(path, s, max, multiline) {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		if required {
			o.c.add(path, "is required")
		}
		return ""
	}
	return s
}

// stringValue decodes raw as a JSON string.
func (c *checker) stringValue(path string, raw json.RawMessage) (string, bool) {
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		c.add(path, "must be a string")
		return "", false
	}
	return s, true
}

// checkText enforces a length limit in characters and bans control
// characters (newline and tab are allowed when multiline).
func (c *checker) checkText(path, s string, max int, multiline bool) bool {
	if n := utf8.RuneCountInString(s); n > max {
		c.add(path, "is %d characters, limit %d", n, max)
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			c.add(path, "contains control character %U", r)
			return false
		}
	}
	return true
}

// pattern reads a single-line string that must satisfy valid, described by
// want in the error ("must be <want>").
func (o *object) pattern(name string, required bool, max int, want string, valid func(string) bool) string {
	s := o.str(name, required, max)
	if s != "" && !valid(s) {
		o.c.add(joinPath(o.path, name), "must be %s, got %q", want, truncate(s, 40))
		return ""
	}
	return s
}

// enum reads a string that must be one of allowed.
func (o *object) enum(name string, required bool, allowed []string) string {
	s := o.str(name, required, 64)
	if s != "" && !slices.Contains(allowed, s) {
		o.c.add(joinPath(o.path, name), "must be one of %s, got %q", quoteList(allowed), truncate(s, 40))
		return ""
	}
	return s
}

// participant reads a participant code known to [LookupParticipant]. With
// nodeOnly it must also be able to run a node ([ValidCode]).
func (o *object) participant(name string, required, nodeOnly bool) string {
	s := o.pattern(name, required, 64, "a two-letter uppercase code", isCodeSyntax)
	return o.c.checkParticipant(joinPath(o.path, name), s, nodeOnly)
}

func (c *checker) checkParticipant(path, code string, nodeOnly bool) string {
	if code == "" {
		return ""
	}
	p, ok := LookupParticipant(code)
	switch {
	case !ok:
		c.add(path, "unknown participant code %q", code)
	case nodeOnly && !ValidCode(code):
		c.add(path, "%q is a %s and cannot run a node", code, p.Kind)
	default:
		return code
	}
	return ""
}

// country reads an ISO 3166-1 alpha-2 code (syntax only).
func (o *object) country(name string, required bool) string {
	return o.pattern(name, required, 64, "a two-letter uppercase country code", isCodeSyntax)
}

// date reads a calendar date "YYYY-MM-DD".
func (o *object) date(name string, required bool) Date {
	s := o.str(name, required, 64)
	if s == "" {
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		o.c.add(joinPath(o.path, name), "must be a date YYYY-MM-DD, got %q", s)
	}
	return d
}

// hundredths reads a positive decimal string amount with parse.
func (o *object) hundredths(name string, required bool, parse func(string) (int64, error)) int64 {
	raw, path, ok := o.get(name, required)
	if !ok {
		return 0
	}
	s, ok := o.c.stringValue(path, raw)
	if !ok {
		return 0
	}
	v, err := parse(s)
	switch {
	case err != nil:
		o.c.add(path, "%s", strings.TrimPrefix(err.Error(), "parse amount: "))
	case v == 0:
		o.c.add(path, "must be greater than zero")
	}
	return v
}

// integer reads a JSON integer in [min, max]; fractions and exponents are
// rejected.
func (o *object) integer(name string, required bool, min, max int64) int64 {
	raw, path, ok := o.get(name, required)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case err != nil:
		o.c.add(path, "must be an integer")
	case v < min || v > max:
		o.c.add(path, "must be between %d and %d, got %d", min, max, v)
	default:
		return v
	}
	return 0
}

// optBool reads true, false, or null/missing (nil).
func (o *object) optBool(name string) *bool {
	raw, path, ok := o.get(name, false)
	if !ok {
		return nil
	}
	v, err := strconv.ParseBool(string(raw))
	if err != nil || (string(raw) != "true" && string(raw) != "false") {
		o.c.add(path, "must be true, false or null")
		return nil
	}
	return &v
}

// obj reads a nested object. The caller must call done on it.
func (o *object) obj(name string, required bool) *object {
	raw, path, ok := o.get(name, required)
	if !ok {
		return nil
	}
	return o.c.object(path, raw)
}

// item is one element of an array with its path.
type item struct {
	path string
	raw  json.RawMessage
}

// array reads an array of min..max elements. A missing optional array
// returns nil.
func (o *object) array(name string, required bool, min, max int) []item {
	raw, path, ok := o.get(name, required)
	if !ok {
		return nil
	}
	var elems []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		o.c.add(path, "must be an array")
		return nil
	}
	switch {
	case len(elems) < min:
		o.c.add(path, "must have at least %d item(s)", min)
	case len(elems) > max:
		o.c.add(path, "has %d items, limit %d", len(elems), max)
		return nil
	}
	items := make([]item, len(elems))
	for i, e := range elems {
		items[i] = item{path: indexPath(path, i), raw: e}
	}
	return items
}

// strings reads an array of unique single-line strings, each checked by
// check (which reports its own errors and returns false to drop it).
func (o *object) strings(name string, required bool, min, max, maxLen int, check func(path, s string) bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range o.array(name, required, min, max) {
		s, ok := o.c.stringValue(it.path, it.raw)
		if !ok || !o.c.checkText(it.path, s, maxLen, false) {
			continue
		}
		if strings.TrimSpace(s) == "" {
			o.c.add(it.path, "must not be empty")
			continue
		}
		if !check(it.path, s) {
			continue
		}
		if seen[s] {
			o.c.add(it.path, "duplicate %q", truncate(s, 40))
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// oneOf returns a check for strings that reports values not in allowed.
func (c *checker) oneOf(allowed []string) func(path, s string) bool {
	return func(path, s string) bool {
		if !slices.Contains(allowed, s) {
			c.add(path, "must be one of %s, got %q", quoteList(allowed), truncate(s, 40))
			return false
		}
		return true
	}
}

// matching returns a check for strings that reports values failing valid.
func (c *checker) matching(want string, valid func(string) bool) func(path, s string) bool {
	return func(path, s string) bool {
		if !valid(s) {
			c.add(path, "must be %s, got %q", want, truncate(s, 40))
			return false
		}
		return true
	}
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
