package tabular

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kpnode/kpnode/protocol"
)

// bodyWriter writes a JSON object member by member, opening and closing
// the nested objects of dotted paths ("exporter.name") as the columns come.
// Members of one nested object must come together.
type bodyWriter struct {
	b      []byte
	parent string // the nested object open, or ""
	comma  bool   // a member precedes in the innermost open object
}

// newBodyWriter starts a record body with "version": 1.
func newBodyWriter() *bodyWriter {
	return &bodyWriter{b: append(make([]byte, 0, 1024), `{"version":1`...), comma: true}
}

// member writes the member at path of column c from cell text s, or
// returns why s is not a value of c and writes nothing.
func (w *bodyWriter) member(path string, c tableColumn, s string) string {
	parent, name := "", path
	if i := strings.IndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	w.enter(parent)
	if c.omitZero && s == "0" {
		return "" // as encoding/json's omitempty
	}
	if c.cell == cellItemNo { // the body counts from 0
		n, reason := parseCellInteger(s)
		if reason != "" {
			return reason
		}
		if n < 1 {
			return fmt.Sprintf("items are numbered from 1 (the first item of the batch is 1), got %d", n)
		}
		if n == 1 {
			return "" // item 0: left out, as encoding/json's omitempty
		}
		s, c.cell = strconv.FormatInt(n-1, 10), cellInteger
	}
	mark, comma := len(w.b), w.comma
	w.key(name)
	var reason string
	if w.b, reason = appendCellJSON(w.b, c, s); reason != "" {
		w.b, w.comma = w.b[:mark], comma
		return reason
	}
	return ""
}

func (w *bodyWriter) key(name string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.b = appendJSONString(w.b, name)
	w.b = append(w.b, ':')
	w.comma = true
}

// enter closes the open nested object unless it is parent, and opens
// parent.
func (w *bodyWriter) enter(parent string) {
	if parent == w.parent {
		return
	}
	if w.parent != "" {
		w.b = append(w.b, '}')
	}
	w.parent = ""
	if parent != "" {
		w.key(parent)
		w.b = append(w.b, '{')
		w.comma, w.parent = false, parent
	}
}

// close ends the object and returns it.
func (w *bodyWriter) close() []byte {
	w.enter("")
	return append(w.b, '}')
}

// appendCellJSON appends the JSON value of cell text s, not blank, for
// column c, or returns why s is not one.
func appendCellJSON(b []byte, c tableColumn, s string) ([]byte, string) {
	switch c.cell {
	case cellAmount:
		if reason := amountProblem(s); reason != "" {
			return b, reason
		}
		if v, err := protocol.ParseUSD(s); err == nil {
			return strconv.AppendQuote(b, v.String()), "" // canonical
		}
	case cellInteger:
		v, reason := parseCellInteger(s)
		if reason != "" {
			return b, reason
		}
		return strconv.AppendInt(b, v, 10), ""
	case cellBool:
		switch strings.ToLower(s) {
		case "true", "yes":
			return append(b, "true"...), ""
		case "false", "no":
			return append(b, "false"...), ""
		}
		return b, fmt.Sprintf("must be true, false, yes or no, got %q", truncate(s, 40))
	case cellOrigin:
		return appendOrigin(b, s)
	case cellList:
		if strings.Trim(s, "; ") == "" {
			return b, "names nothing: give the values separated by ;, or leave the cell blank"
		}
		return appendList(b, s), ""
	case cellHSCode:
		if !protocol.ValidHSCode(s) && protocol.ValidHSCode(s+"0") {
			return b, fmt.Sprintf("must be one of %s, got %q: a spreadsheet may have dropped the final zero (format the column as text)", quoteList(protocol.HSCodes()), s)
		}
	}
	return appendJSONString(b, s), ""
}

// appendOrigin appends "BW;CD" as ["BW","CD"].
func appendOrigin(b []byte, s string) ([]byte, string) {
	if strings.Contains(s, ",") {
		return b, fmt.Sprintf("separate the origins with ; as in BW;CD, got %q", truncate(s, 40))
	}
	b = append(b, '[')
	for i, part := range strings.Split(s, ";") {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, strings.TrimSpace(part))
	}
	return append(b, ']'), ""
}

// appendList appends "a; b" as ["a","b"], each part trimmed, blank parts
// left out (a trailing ;).
func appendList(b []byte, s string) []byte {
	b = append(b, '[')
	n := 0
	for part := range strings.SplitSeq(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, part)
		n++
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string escaped exactly as
// encoding/json does without HTML escaping, so that bodies written here are
// in canonical form.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// separators are thousands separators seen in spreadsheets: comma,
// apostrophe, space, no-break space and narrow no-break space.
const separators = ",' \u00a0\u202f"

// amountProblem explains amounts that the validator would refuse in terms
// a spreadsheet user understands, or returns "".
func amountProblem(s string) string {
	switch {
	case strings.ContainsAny(s, separators):
		return fmt.Sprintf("use a dot as decimal separator and no thousands separators, got %q", truncate(s, 40))
	case strings.HasPrefix(s, "-"):
		return fmt.Sprintf("must not be negative, got %q", truncate(s, 40))
	}
	return ""
}

// parseCellInteger parses a whole number.
func parseCellInteger(s string) (int64, string) {
	if strings.ContainsAny(s, separators) {
		return 0, fmt.Sprintf("must be a whole number without thousands separators, got %q", truncate(s, 40))
	}
	v, err := strconv.ParseInt(s, 10, 64)
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange:
		return 0, fmt.Sprintf("is too large, got %q", truncate(s, 40))
	case err != nil:
		return 0, fmt.Sprintf("must be a whole number, got %q", truncate(s, 40))
	}
	return v, ""
}
