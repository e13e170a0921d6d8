package protocol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Readers for typed members of an object. Each marks the member as read,
// reports every problem under the member's path and returns the zero value
// when the member is missing or invalid. Paths and reasons are formatted
// only when there is a problem.

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
	s, ok := o.stringMember(name, required)
	if !ok {
		return ""
	}
	if reason := textProblem(s, max, multiline); reason != "" {
		o.c.add(o.at(name), "%s", reason)
		return ""
	}
	if isBlank(s) {
		if required {
			o.c.add(o.at(name), "is required")
		}
		return ""
	}
	return s
}

// stringMember reads member name as a JSON string; ok is false when it is
// missing (reported when required) or not a string (reported).
func (o *object) stringMember(name string, required bool) (string, bool) {
	n, ok := o.get(name, required)
	if !ok {
		return "", false
	}
	s, ok := o.d.str(n)
	if !ok {
		o.c.add(o.at(name), "must be a string")
	}
	return s, ok
}

// isBlank reports whether s is empty or only white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !asciiSpace(s[i]) {
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// TextProblem returns why s could not be a record's text of at most max
// characters (not UTF-8, too long, a control character other than newline
// and tab in multiline text, a bidirectional control), or "" when it
// could. The node checks operator notes kept outside records with it.
func TextProblem(s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return textProblem(s, max, multiline)
}

// textProblem enforces a length limit in characters and bans control
// characters (newline and tab are allowed when multiline). It returns the
// reason s is refused, or "".
func textProblem(s string, max int, multiline bool) string {
	control := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return textProblemSlow(s, max, multiline)
		}
		if control < 0 && (c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\t')) {
			control = i
		}
	}
	switch {
	case len(s) > max:
		return fmt.Sprintf("is %d characters, limit %d", len(s), max)
	case control >= 0:
		return fmt.Sprintf("contains control character %U", rune(s[control]))
	}
	return ""
}

// textProblemSlow is textProblem for text beyond ASCII.
func textProblemSlow(s string, max int, multiline bool) string {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters, limit %d", n, max)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')):
			return fmt.Sprintf("contains control character %U", r)
		case isBidiControl(r):
			return fmt.Sprintf("contains bidirectional control character %U, which makes the text display differently from what it says", r)
		}
	}
	return ""
}

// isBidiControl reports whether r is a bidirectional embedding, override
// or isolate control (U+202A..U+202E, U+2066..U+2069): it reorders the
// text after it on screen, so that what a reader sees is not what the
// record holds.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// identifier reads a single-line string that identifies something (a
// licence number): besides what str refuses, it refuses every invisible
// formatting character (Unicode category Cf: zero-width spaces and
// joiners, direction marks, the Arabic letter mark, soft hyphens …), so
// that two identifiers that look the same are the same.
func (o *object) identifier(name string, required bool, max int) string {
	s := o.str(name, required, max)
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			o.c.add(o.at(name), "contains invisible formatting character %U: an identifier must be what it looks like", r)
			return ""
		}
	}
	return s
}

// pattern reads a single-line string that must satisfy valid, described by
// want in the error ("must be <want>").
func (o *object) pattern(name string, required bool, max int, want string, valid func(string) bool) string {
	s := o.str(name, required, max)
	if s != "" && !valid(s) {
		o.c.add(o.at(name), "must be %s, got %q", want, truncate(s, 40))
		return ""
	}
	return s
}

// enum reads a string that must be one of allowed.
func (o *object) enum(name string, required bool, allowed []string) string {
	s := o.str(name, required, 64)
	if s != "" && !slices.Contains(allowed, s) {
		o.c.add(o.at(name), "must be one of %s, got %q", quoteList(allowed), truncate(s, 40))
		return ""
	}
	return s
}

// participant reads a participant code that [AdmissibleCode] accepts.
// With nodeOnly it must also be able to run a node.
func (o *object) participant(name string, required, nodeOnly bool) string {
	s := o.pattern(name, required, 64, "a two-letter uppercase code", isCodeSyntax)
	if s == "" {
		return ""
	}
	return o.c.checkParticipant(o.at(name), s, nodeOnly)
}

func (c *checker) checkParticipant(path, code string, nodeOnly bool) string {
	if code == "" {
		return ""
	}
	p, listed := LookupParticipant(code)
	switch {
	case !AdmissibleCode(code, false):
		c.add(path, "unknown participant code %q", code)
	case listed && nodeOnly && p.Kind == KindTradingEntity:
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
		o.c.add(o.at(name), "must be a date YYYY-MM-DD, got %q", s)
	}
	return d
}

// hundredths reads a positive decimal string amount with parse.
func (o *object) hundredths(name string, required bool, parse func(string) (int64, error)) int64 {
	s, ok := o.stringMember(name, required)
	if !ok {
		return 0
	}
	v, err := parse(s)
	switch {
	case err != nil:
		o.c.add(o.at(name), "%s", strings.TrimPrefix(err.Error(), "parse amount: "))
	case v == 0:
		o.c.add(o.at(name), "must be greater than zero")
	}
	return v
}

// integer reads a JSON integer in [min, max]; fractions and exponents are
// rejected.
func (o *object) integer(name string, required bool, min, max int64) int64 {
	n, ok := o.get(name, required)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(string(o.d.raw(n)), 10, 64)
	switch {
	case err != nil:
		o.c.add(o.at(name), "must be an integer")
	case v < min || v > max:
		o.c.add(o.at(name), "must be between %d and %d, got %d", min, max, v)
	default:
		return v
	}
	return 0
}

// optBool reads true, false, or null/missing (nil).
func (o *object) optBool(name string) *bool {
	n, ok := o.get(name, false)
	if !ok {
		return nil
	}
	switch o.d.nodes[n].kind {
	case 't':
		v := true
		return &v
	case 'f':
		v := false
		return &v
	}
	o.c.add(o.at(name), "must be true, false or null")
	return nil
}

// obj reads a nested object. The caller must call done on it.
func (o *object) obj(name string, required bool) *object {
	n, ok := o.get(name, required)
	if !ok {
		return nil
	}
	return o.c.object(o.at(name), o.d, n)
}

// item is one element of an array with its path.
type item struct {
	path string
	d    *jsonDoc
	n    int32
}

// object returns the element as an object, or nil after reporting that it
// is not one.
func (it item) object(c *checker) *object { return c.object(it.path, it.d, it.n) }

// raw returns the element's bytes.
func (it item) raw() []byte { return it.d.raw(it.n) }

// array reads an array of min..max elements. A missing optional array
// returns nil.
func (o *object) array(name string, required bool, min, max int) []item {
	n, ok := o.get(name, required)
	if !ok {
		return nil
	}
	if o.d.nodes[n].kind != '[' {
		o.c.add(o.at(name), "must be an array")
		return nil
	}
	count := o.d.children(n)
	switch {
	case count < min:
		o.c.add(o.at(name), "must have at least %d item(s)", min)
	case count > max:
		o.c.add(o.at(name), "has %d items, limit %d", count, max)
		return nil
	}
	path := o.at(name)
	items := make([]item, 0, count)
	for j := n + 1; j < o.d.nodes[n].next; j = o.d.nodes[j].next {
		items = append(items, item{path: indexPath(path, len(items)), d: o.d, n: j})
	}
	return items
}

// strings reads an array of unique single-line strings, each checked by
// check (which reports its own errors and returns false to drop it).
func (o *object) strings(name string, required bool, min, max, maxLen int, check func(path, s string) bool) []string {
	var out []string
	for _, it := range o.array(name, required, min, max) {
		s, ok := it.d.str(it.n)
		if !ok {
			o.c.add(it.path, "must be a string")
			continue
		}
		if reason := textProblem(s, maxLen, false); reason != "" {
			o.c.add(it.path, "%s", reason)
			continue
		}
		if isBlank(s) {
			o.c.add(it.path, "must not be empty")
			continue
		}
		if !check(it.path, s) {
			continue
		}
		if slices.Contains(out, s) {
			o.c.add(it.path, "duplicate %q", truncate(s, 40))
			continue
		}
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
