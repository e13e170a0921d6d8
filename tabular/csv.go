package tabular

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvCell is one field of a CSV record: its text, without the quotes and
// with doubled quotes undone when it was quoted.
type csvCell struct {
	text   string
	quoted bool
}

// csvScanner reads RFC 4180 records from a string: fields separated by
// commas, records by CRLF, LF or CR, a field quoted with '"' when it holds
// any of those, a quote doubled inside quotes. Inside quotes a line break
// reads as LF. Space before an opening or after a closing quote is ignored.
// It counts rows as a spreadsheet does: one per record, blank lines
// included.
type csvScanner struct {
	data  string
	pos   int
	row   int // row number of the record last read
	cells []csvCell
	buf   []byte
}

// next reads the next record, reusing the cells of the previous one. At the
// end of data it returns ok false. A record that breaks the syntax gives a
// reason and no cells; reading goes on at the next line.
func (s *csvScanner) next() (cells []csvCell, reason string, ok bool) {
	if s.pos >= len(s.data) {
		return nil, "", false
	}
	s.row++
	s.cells = s.cells[:0]
	for {
		cell, reason := s.field()
		if reason != "" {
			s.skipLine()
			return nil, reason, true
		}
		s.cells = append(s.cells, cell)
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		s.skipLine()
		return s.cells, "", true
	}
}

// field reads one field up to the comma or line end after it.
func (s *csvScanner) field() (csvCell, string) {
	d := s.data
	j := s.pos
	for j < len(d) && (d[j] == ' ' || d[j] == '\t') {
		j++
	}
	if j < len(d) && d[j] == '"' {
		return s.quotedField(j + 1)
	}
	end := s.pos
	for end < len(d) && d[end] != ',' && d[end] != '\r' && d[end] != '\n' && d[end] != '"' {
		end++
	}
	if end < len(d) && d[end] == '"' {
		s.pos = end
		return csvCell{}, `a quote (") inside a value that does not start with one: quote the whole value and double the quotes inside it`
	}
	cell := csvCell{text: d[s.pos:end]}
	s.pos = end
	return cell, ""
}

// quotedField reads a quoted field whose text starts at i.
func (s *csvScanner) quotedField(i int) (csvCell, string) {
	d := s.data
	s.buf = s.buf[:0]
	copied := false
	seg := i
	for {
		for i < len(d) && d[i] != '"' && d[i] != '\r' {
			i++
		}
		if i == len(d) {
			s.pos = len(d)
			return csvCell{}, "a quoted value is not closed: it runs to the end of the file"
		}
		switch {
		case d[i] == '\r':
			s.buf = append(append(s.buf, d[seg:i]...), '\n')
			copied = true
			i++
			if i < len(d) && d[i] == '\n' {
				i++
			}
			seg = i
			continue
		case i+1 < len(d) && d[i+1] == '"':
			s.buf = append(s.buf, d[seg:i+1]...)
			copied = true
			i += 2
			seg = i
			continue
		}
		text := d[seg:i]
		if copied {
			text = string(append(s.buf, text...))
		}
		i++
		for i < len(d) && (d[i] == ' ' || d[i] == '\t') {
			i++
		}
		s.pos = i
		if i < len(d) && d[i] != ',' && d[i] != '\n' && d[i] != '\r' {
			return csvCell{}, "text after the closing quote of a value: quote the whole value and double the quotes inside it"
		}
		return csvCell{text: text, quoted: true}, ""
	}
}

// skipLine moves past the end of the current line.
func (s *csvScanner) skipLine() {
	d := s.data
	for s.pos < len(d) && d[s.pos] != '\r' && d[s.pos] != '\n' {
		s.pos++
	}
	if s.pos < len(d) && d[s.pos] == '\r' && s.pos+1 < len(d) && d[s.pos+1] == '\n' {
		s.pos++
	}
	s.pos = min(s.pos+1, len(d))
}

// blankRecord reports whether every cell of a record is blank, as a blank
// line or a row of empty cells is.
func blankRecord(cells []csvCell) bool {
	for _, c := range cells {
		if strings.TrimSpace(c.text) != "" {
			return false
		}
	}
	return true
}

// appendCSVRecord appends one record and a newline, quoting the fields
// that need it so that csvScanner reads them back exactly.
func appendCSVRecord(b []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if !csvNeedsQuotes(f) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// csvNeedsQuotes reports whether f has a separator, a quote, a line break
// or space at either end, which an unquoted field would lose.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	first, _ := utf8.DecodeRuneInString(f)
	last, _ := utf8.DecodeLastRuneInString(f)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}
