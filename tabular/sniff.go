package tabular

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a clerk's spreadsheet saves when "CSV UTF-8 (comma delimited)" is
// not what was chosen, recognised before a file is read as a table, so
// that the clerk gets one message saying what the file is and what to do
// instead of a problem for every row (docs/records.md §16.1).

// saveAsCSV is the advice every refused spreadsheet file ends with.
const saveAsCSV = `open it in the spreadsheet and save it as "CSV UTF-8 (Comma delimited) (*.csv)", then import that file`

// sniffLen is how much of the start of a file the sniffer looks at.
const sniffLen = 4096

// sniffTable returns why data, read as a table of kind tk in format,
// cannot be a file of that format at all, or "" when it may be.
func sniffTable(tk *tableKind, data []byte, format string) string {
	if what := binaryKind(data); what != "" {
		return what
	}
	if format != FormatCSV {
		return ""
	}
	if what := windows1252(trimBOM(data)); what != "" {
		return what
	}
	if bytes.HasPrefix(bytes.TrimLeft(trimBOM(data), " \t\r\n"), []byte("[")) ||
		bytes.HasPrefix(bytes.TrimLeft(trimBOM(data), " \t\r\n"), []byte("{")) {
		return "is JSON, not CSV: give it a name ending in .json, or --format json"
	}
	return separatorProblem(tk, headerLine(trimBOM(data)))
}

// trimBOM drops a UTF-8 byte-order mark, which Excel's "CSV UTF-8" writes.
func trimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte("\uFEFF")) }

// binaryKind names what data is when it is not UTF-8 text: UTF-16 text
// (with or without a byte-order mark), a workbook, an archive, a PDF or
// other binary data; "" for anything else.
func binaryKind(data []byte) string {
	head := data[:min(len(data), sniffLen)]
	for _, m := range fileMagic {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.what
		}
	}
	if enc := utf16Order(head); enc != "" {
		return "is " + enc + " text (Excel's \"Unicode Text\" or a UTF-16 CSV), not UTF-8: " + saveAsCSV
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Sprintf("is a binary file, not CSV or JSON text (a zero byte at offset %d; it starts %s): %s", i, quoteBytes(head, 16), saveAsCSV)
	}
	return ""
}

// windows1252 says so when data is not UTF-8 but reads as Windows-1252
// (Latin-1 with “quotes”, – and € at 0x80–0x9F), what Excel writes for
// plain "CSV (Comma delimited)": every byte outside UTF-8 is a letter or
// sign of that code page, and no other control character than tab and
// line ends occurs. It names the line of the first such byte, never the
// byte itself; "" for UTF-8 or anything else. A file holding at least as
// many characters written as UTF-8 (é as two bytes) as bytes outside it is
// a UTF-8 file with stray bytes pasted in, not Windows-1252: its cells are
// named one by one. (Windows-1252 text has some byte pairs that happen to
// be UTF-8, such as "Ø”", so one such pair does not decide.)
func windows1252(data []byte) string {
	if utf8.Valid(data) {
		return ""
	}
	first, stray, utf8Runes := -1, 0, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if !cp1252Defined(data[i]) {
				return ""
			}
			stray++
			if first < 0 {
				first = i
			}
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7F:
			return ""
		case size > 1:
			utf8Runes++
		}
		i += size
	}
	if utf8Runes >= stray {
		return ""
	}
	line := bytes.Count(data[:first], []byte("\n")) + 1
	return fmt.Sprintf("is Windows-1252 (Latin-1) text, what Excel saves as plain \"CSV (Comma delimited)\", not UTF-8 (the first such character is on line %d): %s", line, saveAsCSV)
}

// cp1252Defined reports whether b, a byte of 0x80 or more, is a character
// of Windows-1252: all are but 0x81, 0x8D, 0x8F, 0x90 and 0x9D.
func cp1252Defined(b byte) bool {
	return b >= 0x80 && b != 0x81 && b != 0x8D && b != 0x8F && b != 0x90 && b != 0x9D
}

// fileMagic maps the first bytes of common binary files to what they are.
var fileMagic = []struct{ magic, what string }{
	{"\xFF\xFE", "is UTF-16 (little-endian) text, as Excel's \"Unicode Text\" saves it, not UTF-8: " + saveAsCSV},
	{"\xFE\xFF", "is UTF-16 (big-endian) text, not UTF-8: " + saveAsCSV},
	{"PK\x03\x04", "is an Excel workbook or another ZIP archive (.xlsx, .ods, .zip), not a CSV file: " + saveAsCSV},
	{"PK\x05\x06", "is an empty ZIP archive, not a CSV file: " + saveAsCSV},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "is an Excel 97-2003 workbook (.xls), not a CSV file: " + saveAsCSV},
	{"%PDF-", "is a PDF document, not a CSV file: export the data from the system that made it as CSV UTF-8"},
}

// utf16Order reports "UTF-16 (little-endian)" or "UTF-16 (big-endian)"
// when head looks like UTF-16 text without a byte-order mark: most ASCII
// characters then come with a zero byte after (LE) or before (BE) them.
func utf16Order(head []byte) string {
	pairs := len(head) / 2
	if pairs < 2 {
		return ""
	}
	var even, odd int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	switch {
	case odd*10 >= pairs*7 && even*10 < pairs:
		return "UTF-16 (little-endian)"
	case even*10 >= pairs*7 && odd*10 < pairs:
		return "UTF-16 (big-endian)"
	}
	return ""
}

// headerLine returns the first non-blank line of data, at most sniffLen
// bytes of it.
func headerLine(data []byte) string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return string(line[:min(len(line), sniffLen)])
		}
	}
	return ""
}

// fieldSeparators that spreadsheets write instead of commas, with their names.
var fieldSeparators = []struct {
	sep  string
	name string
	why  string
}{
	{";", "semicolons", "what Excel saves as \"CSV\" where the decimal separator is a comma"},
	{"\t", "tabs", "what Excel saves as \"Text (Tab delimited)\" or a copy from a spreadsheet gives"},
	{"|", "vertical bars", "a pipe-delimited export"},
}

// separatorProblem says so when the header's columns are separated by
// something other than commas: another separator names more of the kind's
// columns than the comma does, and at least two.
func separatorProblem(tk *tableKind, header string) string {
	best := knownColumns(tk, strings.Split(header, ","))
	for _, s := range fieldSeparators {
		if n := knownColumns(tk, strings.Split(header, s.sep)); n >= 2 && n > best {
			return fmt.Sprintf("has its columns separated by %s (%s), not commas: %s; kpnode reads commas and decimal points only", s.name, s.why, saveAsCSV)
		}
	}
	return ""
}

// knownColumns counts the names among cells that are columns of tk.
func knownColumns(tk *tableKind, cells []string) int {
	n := 0
	for _, c := range cells {
		if tk.column(strings.ToLower(strings.Trim(strings.TrimSpace(c), `"`))) >= 0 {
			n++
		}
	}
	return n
}

// quoteBytes quotes the first n bytes of b as Go would, with every byte
// that is not printable ASCII escaped, so that nothing raw reaches a
// terminal.
func quoteBytes(b []byte, n int) string {
	s := fmt.Sprintf("%+q", b[:min(len(b), n)])
	if len(b) > n {
		s += "…"
	}
	return s
}

// escapeText returns s with every byte that is not valid UTF-8 written as
// \xNN and every rune that is not printable (controls, formatting and
// bidirectional controls) as \uNNNN, so that a message quoting a file's
// text shows what the file holds and cannot disturb a terminal.
func escapeText(s string) string {
	if printableText(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r):
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

// printableText reports whether escapeText leaves s as it is.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != ' ' && (!unicode.IsPrint(r) || unicode.Is(unicode.Cf, r)) {
			return false
		}
	}
	return true
}
