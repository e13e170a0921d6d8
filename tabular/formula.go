package tabular

import "strings"

// A spreadsheet that opens a CSV file runs a cell that starts with =, +,
// - or @ as a formula (=HYPERLINK(…) sends data away, =cmd|… starts a
// program on some versions), and treats a leading tab or carriage return
// the same way. Free text in records may start with anything, so the CSV
// writer prefixes such a cell with a single quote, which spreadsheets
// read as "this is text" (OWASP, CSV injection), and the reader takes
// exactly that quote off again. Only free-text columns need it: every
// other column's validator refuses values that could start a formula
// (amounts are never negative).

// formulaStarts are the characters that make a cell a formula when it
// starts with one of them, after any spaces and line breaks.
const formulaStarts = "=+-@"

// formulaLike reports whether a spreadsheet could read cell text s as a
// formula.
func formulaLike(s string) bool {
	if s != "" && (s[0] == '\t' || s[0] == '\r') {
		return true
	}
	t := strings.TrimLeft(s, " \t\r\n")
	return t != "" && strings.IndexByte(formulaStarts, t[0]) >= 0
}

// guarded reports whether s is the guarded form of a cell: a single quote
// before text that is formula-like or itself starts with a quote. The
// reader takes the quote off exactly these.
func guarded(s string) bool {
	return strings.HasPrefix(s, "'") && (formulaLike(s[1:]) || strings.HasPrefix(s[1:], "'"))
}

// guardCell returns free-text cell s as the CSV writer writes it: with a
// quote before it when it is formula-like, or when the reader would
// otherwise take a quote off it. unguardCell(guardCell(s)) == s for
// every s.
func guardCell(s string) string {
	if formulaLike(s) || guarded(s) {
		return "'" + s
	}
	return s
}

// unguardCell returns free-text cell s as the CSV reader reads it: the
// quote guardCell added taken off. A quote before other text, as in
// "'s-Hertogenbosch", stays.
func unguardCell(s string) string {
	if guarded(s) {
		return s[1:]
	}
	return s
}

// freeText reports whether cells of kind c hold free text, which the CSV
// writer guards.
func freeText(c cellKind) bool { return c == cellText || c == cellMultiline }
