package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// exampleCSV returns the example import file of kind name.
func exampleCSV(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(importExamplesDir + "/" + name + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// utf16Bytes encodes s as UTF-16, little- or big-endian, with or without
// a byte-order mark.
func utf16Bytes(s string, big, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	out := make([]byte, 2*len(units))
	for i, u := range units {
		if big {
			binary.BigEndian.PutUint16(out[2*i:], u)
		} else {
			binary.LittleEndian.PutUint16(out[2*i:], u)
		}
	}
	return out
}

// xlsxBytes returns a minimal ZIP archive as an .xlsx file starts.
func xlsxBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("<worksheet>\"quoted\"</worksheet>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadTableSpreadsheetFiles: what a clerk's spreadsheet saves instead
// of "CSV UTF-8 (comma delimited)" gets one problem for the file, saying
// what the file is and what to do, never raw bytes.
func TestReadTableSpreadsheetFiles(t *testing.T) {
	csv := exampleCSV(t, "certificates")
	semicolon := strings.ReplaceAll(strings.ReplaceAll(csv, ",", ";"), "1520.35", "1520,35")
	cases := []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"semicolons", "c.csv", []byte(semicolon), []string{"separated by semicolons", "CSV UTF-8 (Comma delimited)"}},
		{"semicolons with BOM and CRLF", "c.csv", []byte("\uFEFF" + strings.ReplaceAll(semicolon, "\n", "\r\n")), []string{"semicolons"}},
		{"tabs", "c.txt", []byte(strings.ReplaceAll(csv, ",", "\t")), []string{"separated by tabs"}},
		{"UTF-16 LE with BOM", "c.csv", utf16Bytes(csv, false, true), []string{"UTF-16 (little-endian)", "save it as"}},
		{"UTF-16 BE with BOM", "c.csv", utf16Bytes(csv, true, true), []string{"UTF-16 (big-endian)"}},
		{"UTF-16 LE without BOM", "c.csv", utf16Bytes(csv, false, false), []string{"UTF-16 (little-endian)"}},
		{"UTF-16 BE without BOM", "c.csv", utf16Bytes(csv, true, false), []string{"UTF-16 (big-endian)"}},
		{"UTF-16 semicolons", "c.csv", utf16Bytes(semicolon, false, true), []string{"UTF-16"}},
		{"xlsx", "c.xlsx", xlsxBytes(t), []string{"Excel workbook", "CSV UTF-8"}},
		{"xlsx named json", "c.json", xlsxBytes(t), []string{"Excel workbook"}},
		{"xls", "c.xls", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 64)...), []string{"Excel 97-2003"}},
		{"pdf", "c.csv", []byte("%PDF-1.7\n\x00\x01\x02"), []string{"PDF"}},
		{"binary", "c.csv", []byte("\x1b[31m\"\xff\xfe\x00\x00\x07garbage\"\x9b"), []string{"binary file", `\x1b`}},
		{"json as csv", "c.csv", []byte("\uFEFF  [{\"number\":\"IN1\"}]"), []string{"is JSON, not CSV"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTable(mustKind(t, "certificates"), c.file, bytes.NewReader(c.data), "")
			ie, ok := err.(*ImportError)
			if !ok || len(ie.Errors) != 1 {
				t.Fatalf("want one problem, got %v", err)
			}
			msg := ie.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			if ie.Errors[0].Row != 0 || !strings.Contains(msg, "1 problem in the file") {
				t.Errorf("not a problem of the file: %q", msg)
			}
			assertPrintable(t, msg)
		})
	}
}

// assertPrintable fails when msg holds a byte a terminal would act on.
func assertPrintable(t *testing.T, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) {
		t.Errorf("message is not valid UTF-8: %q", msg)
	}
	for _, r := range msg {
		if r < 0x20 && r != '\n' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Errorf("message holds control character %U: %q", r, msg)
		}
	}
}

// TestReadTableUTF8BOM: Excel's "CSV UTF-8" starts with a byte-order mark,
// which is not part of the first column's name, also with CRLF lines.
func TestReadTableUTF8BOM(t *testing.T) {
	csv := exampleCSV(t, "certificates")
	want, err := ReadTable(mustKind(t, "certificates"), "c.csv", strings.NewReader(csv), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadTable(mustKind(t, "certificates"), "c.csv", strings.NewReader("\uFEFF"+strings.ReplaceAll(csv, "\n", "\r\n")), "")
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d bodies, %v", len(got), err)
	}
}

// TestReadTableWrongHeader: a header of another kind, or data in the
// first row, is one problem, not one per column.
func TestReadTableWrongHeader(t *testing.T) {
	_, ie := readTable(t, "certificates", "c.csv", exampleCSV(t, "confirmations"))
	wantProblems(t, ie, "1::the header names the columns of confirmations, not certificates")
	csv := exampleCSV(t, "certificates")
	_, ie = readTable(t, "certificates", "c.csv", csv[strings.IndexByte(csv, '\n')+1:])
	wantProblems(t, ie, `1::the first row must be the header`)
	if !strings.Contains(ie.Error(), "1 problem in 1 row") {
		t.Errorf("%q", ie.Error())
	}
}

// TestReadTableEscapesBytes: a header cell with control characters or
// bytes that are not UTF-8 is quoted escaped, in the column and the
// reason.
func TestReadTableEscapesBytes(t *testing.T) {
	_, ie := readTable(t, "production-statistics", "p.csv", "reporter,period,carats,value_usd,col\x1b[2J\xff\nBW,2026-H1,1,1,\n")
	if ie == nil {
		t.Fatal("no error")
	}
	msg := ie.Error()
	assertPrintable(t, msg)
	if !strings.Contains(msg, `column 5: the header is not valid UTF-8`) {
		t.Errorf("%q", msg)
	}
	_, ie = readTable(t, "production-statistics", "p.csv", "reporter,period,carats,value_usd,col\x1b[2J\u202e\nBW,2026-H1,1,1,\n")
	if msg := ie.Error(); !strings.Contains(msg, `p.csv:1:col\u001b[2J\u202e: unknown column`) {
		t.Errorf("%q", msg)
	}
	assertPrintable(t, ie.Error())
}

// TestImportErrorSummary counts problems and the rows they are in.
func TestImportErrorSummary(t *testing.T) {
	for _, c := range []struct {
		e    ImportError
		want string
	}{
		{ImportError{Errors: []RowError{{Row: 3, Column: "a"}, {Row: 3, Column: "b"}}}, "2 problems in 1 row"},
		{ImportError{Errors: []RowError{{Row: 3}, {Row: 4}, {Row: 4}}}, "3 problems in 2 rows"},
		{ImportError{Errors: []RowError{{Row: 0}}}, "1 problem in the file"},
		{ImportError{Errors: []RowError{{Row: 0}, {Row: 2}}}, "2 problems in 1 row and the file as a whole"},
		{ImportError{Format: FormatJSON, Errors: []RowError{{Row: 1}, {Row: 2}}}, "2 problems in 2 items"},
	} {
		if got := c.e.Summary(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e.Errors, got, c.want)
		}
	}
	_, ie := readTable(t, "production-statistics", "p.csv", "reporter,period,carats,value_usd\nBW,2026-H3,x,1\n")
	if !strings.Contains(ie.Error(), "import p.csv: 2 problems in 1 row, nothing imported") {
		t.Errorf("%q", ie.Error())
	}
}

// TestReadTableWindows1252: a CSV file that Excel saved as plain "CSV"
// (Windows-1252, Latin-1 in the Americas and Western Europe) gets one
// problem for the file, saying what it is, where its first such character
// is and to save it as "CSV UTF-8 (Comma delimited)", never its raw bytes;
// UTF-8 with a stray byte that no Windows-1252 file has keeps its problems
// by cell.
func TestReadTableWindows1252(t *testing.T) {
	enc := charmap.Windows1252.NewEncoder()
	utf := strings.Replace(exampleCSV(t, "certificates"), "Shree Ram Diamonds", `"Société Générale, Zürich – “Ø”"`, 1)
	cp1252, err := enc.String(utf)
	if err != nil {
		t.Fatal(err)
	}
	if utf8.ValidString(cp1252) || !strings.Contains(cp1252, "Soci\xe9t\xe9 G\xe9n\xe9rale") {
		t.Fatalf("not a Windows-1252 sample: %q", cp1252)
	}
	line := strings.Count(utf[:strings.Index(utf, "Société")], "\n") + 1
	for _, file := range []string{"c.csv", "c.txt"} {
		_, err := ReadTable(mustKind(t, "certificates"), file, strings.NewReader(cp1252), "")
		ie, ok := err.(*ImportError)
		if !ok || len(ie.Errors) != 1 {
			t.Fatalf("%s: want one problem, got %v", file, err)
		}
		msg := ie.Error()
		for _, w := range []string{"Windows-1252", fmt.Sprintf("line %d", line), `"CSV UTF-8 (Comma delimited)`} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", file, msg, w)
			}
		}
		if ie.Errors[0].Row != 0 || strings.Contains(msg, "Soci") {
			t.Errorf("%s: not one problem of the file, or it echoes the cell: %q", file, msg)
		}
		assertPrintable(t, msg)
	}
	stray := strings.Replace(exampleCSV(t, "certificates"), "Shree Ram Diamonds", "Shree Ram \x81Diamonds", 1)
	_, err = ReadTable(mustKind(t, "certificates"), "c.csv", strings.NewReader(stray), "")
	if err == nil || strings.Contains(err.Error(), "Windows-1252") || !strings.Contains(err.Error(), "exporter_name: is not valid UTF-8") {
		t.Errorf("a byte no Windows-1252 file has: %v", err)
	}
}

// TestReadTableUTF8WithStrayBytes: a UTF-8 file (é as two bytes) with one
// byte pasted from a Windows-1252 document is not called Windows-1252 as
// a whole: the cell holding the stray byte is named.
func TestReadTableUTF8WithStrayBytes(t *testing.T) {
	utf := strings.Replace(exampleCSV(t, "certificates"), "Shree Ram Diamonds", "Société Générale \xe9", 1)
	_, err := ReadTable(mustKind(t, "certificates"), "m.csv", strings.NewReader(utf), "")
	ie, ok := err.(*ImportError)
	if !ok || len(ie.Errors) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	if msg := ie.Error(); strings.Contains(msg, "Windows-1252") || ie.Errors[0].Row == 0 || !strings.Contains(msg, "UTF-8") {
		t.Fatalf("want the cell named as not UTF-8, got %q", msg)
	}
}
