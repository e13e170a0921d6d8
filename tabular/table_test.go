package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

const importExamplesDir = examplesDir + "/import"

// mustKind returns the kind named name.
func mustKind(t testing.TB, name string) Kind {
	t.Helper()
	k, ok := LookupKind(name)
	if !ok {
		t.Fatalf("no kind %q", name)
	}
	return k
}

// readTable reads text as a file of kind name, returning the bodies or the
// import error (nil when there is none).
func readTable(t *testing.T, name, file, text string) ([][]byte, *ImportError) {
	t.Helper()
	bodies, err := ReadTable(mustKind(t, name), file, strings.NewReader(text), "")
	var ie *ImportError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("ReadTable: %v", err)
	}
	if err != nil && bodies != nil {
		t.Fatalf("ReadTable returned %d bodies with an error", len(bodies))
	}
	return bodies, ie
}

// wantProblems checks that ie lists exactly the problems at want, each
// "row:column:text" with text a part of the reason.
func wantProblems(t *testing.T, ie *ImportError, want ...string) {
	t.Helper()
	if ie == nil {
		t.Fatalf("no error, want %q", want)
	}
	if len(ie.Errors) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(ie.Errors), len(want), ie)
	}
	for i, w := range want {
		e := ie.Errors[i]
		row, rest, _ := strings.Cut(w, ":")
		column, text, _ := strings.Cut(rest, ":")
		if fmt.Sprint(e.Row) != row || e.Column != column || !strings.Contains(e.Reason, text) {
			t.Errorf("problem %d: %d:%s: %s; want %s", i, e.Row, e.Column, e.Reason, w)
		}
	}
}

func TestKinds(t *testing.T) {
	kinds := Kinds()
	var names, types []string
	for _, k := range kinds {
		names, types = append(names, k.Name), append(types, k.Type)
		if got, ok := LookupKind(k.Type); !ok || got.Name != k.Name {
			t.Errorf("LookupKind(%q) = %v, %v", k.Type, got.Name, ok)
		}
	}
	if want := []string{"certificates", "pre-notifications", "confirmations", "trade-statistics", "production-statistics", "annual-reports"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	// the batch types, then the annual reports, which an import publishes
	// one per entry (a batch of them would be refused by older nodes)
	if !slices.Equal(types, append(slices.Clone(protocol.BatchTypes), protocol.AnnualReportType)) {
		t.Errorf("types %q, want protocol.BatchTypes %q and annual_report", types, protocol.BatchTypes)
	}
	if _, ok := LookupKind("notices"); ok {
		t.Error("LookupKind(notices) succeeded")
	}
	kinds[0].Columns[0].Name = "changed"
	if Kinds()[0].Columns[0].Name != "number" {
		t.Error("Kinds shares memory with the package")
	}
}

// TestKindColumns checks the column tables: unique names, documented, the
// members of one nested object together, every required member of the
// record type covered by a column.
func TestKindColumns(t *testing.T) {
	for _, tk := range tableKinds {
		seen := map[string]bool{}
		var parents []string
		for _, c := range tk.columns {
			if seen[c.name] || c.doc == "" {
				t.Errorf("%s: column %q duplicated or undocumented", tk.name, c.name)
			}
			seen[c.name] = true
			if p, _, ok := strings.Cut(c.path, "."); ok && !strings.HasPrefix(c.path, linePrefix) {
				if slices.Contains(parents, p) && parents[len(parents)-1] != p {
					t.Errorf("%s: members of %q are not together", tk.name, p)
				}
				parents = append(parents, p)
			} else {
				parents = append(parents, "")
			}
		}
		for _, k := range tk.key {
			if tk.column(k) < 0 {
				t.Errorf("%s: key column %q is not a column", tk.name, k)
			}
		}
	}
}

// TestImportExamples checks that the example files import.
func TestImportExamples(t *testing.T) {
	counts := map[string]int{"certificates": 7, "pre-notifications": 4, "confirmations": 4, "trade-statistics": 7, "production-statistics": 4, "annual-reports": 2}
	for _, k := range Kinds() {
		file := filepath.Join(importExamplesDir, k.Name+".csv")
		bodies, err := ReadTable(k, file, bytes.NewReader(readFile(t, file)), "")
		if err != nil || len(bodies) != counts[k.Name] {
			t.Errorf("%s: %d bodies, %v; want %d", k.Name, len(bodies), err, counts[k.Name])
		}
		for i, b := range bodies {
			if err := protocol.ValidateRecord(k.Type, b); err != nil {
				t.Errorf("%s: body %d: %v", k.Name, i, err)
			}
		}
	}
	// The lines of IN0012003 are on rows 5 and 7; its totals are computed.
	file := filepath.Join(importExamplesDir, "certificates.csv")
	bodies, _ := ReadTable(mustKind(t, "certificates"), file, bytes.NewReader(readFile(t, file)), "")
	c, err := protocol.ParseCertificate(bodies[2])
	if err != nil || c.Number != "IN0012003" || len(c.Lines) != 2 || c.Lines[1].HSCode != "7102.10" ||
		c.TotalCarats != 1615025 || c.TotalValueUSD != 14150300 {
		t.Errorf("IN0012003: %+v, %v", c, err)
	}
	if !bytes.Contains(bodies[0], []byte(`"Gem & Jewellery Export Promotion Council, KP Authority of India"`)) {
		t.Errorf("body not canonical (HTML escaping?): %s", bodies[0])
	}
}

// exampleBodies returns valid bodies of type typ: the example CSV's, the
// JSON example's and unusual ones that must round-trip.
func exampleBodies(t *testing.T, k Kind) [][]byte {
	t.Helper()
	file := filepath.Join(importExamplesDir, k.Name+".csv")
	bodies, err := ReadTable(k, file, bytes.NewReader(readFile(t, file)), "")
	if err != nil {
		t.Fatal(err)
	}
	extra := []func(map[string]any){
		set("supersedes", map[string]any{"seq": 41, "item": 7}),
	}
	switch k.Type {
	case protocol.CertificateType:
		extra = append(extra,
			set("exporter.name", ` "Quoted", spaced, name `),
			// Two lines of one HS code: valid, and kept apart by the line column.
			set("lines[1]", map[string]any{"hs_code": "7102.31", "carats": "310.00", "value_usd": "3100.00"}),
		)
	case protocol.ImportConfirmationType:
		extra = append(extra, func(m map[string]any) {
			set("contents_match", false)(m)
			set("remarks", "Line one, with a comma;\n\t\"line two\"  ")(m)
		})
	case protocol.TradeStatisticsType:
		extra = append(extra, set("partner", "TW"))
	case protocol.AnnualReportType: // a lone record: its correction names no item
		extra[0] = set("supersedes", map[string]any{"seq": 41})
		extra = append(extra, func(m map[string]any) {
			set("sections.enforcement", "Line one, with a comma;\n\t\"line two\"  ")(m)
			set("resolves", []any{"R11/IN/annual-report/missing", "R9/IN/BE/2025-Q2/7102.31"})(m)
		}, func(m map[string]any) { delete(m, "resolves") })
	}
	for i, change := range extra {
		unique := func(m map[string]any) { // a natural key of its own
			change(m)
			switch k.Type {
			case protocol.CertificateType:
				m["number"] = fmt.Sprintf("IN900000%d", i)
			case protocol.PreNotificationType, protocol.ImportConfirmationType:
				m["certificate_number"] = fmt.Sprintf("IN900000%d", i)
			case protocol.TradeStatisticsType:
				m["period"] = fmt.Sprintf("2025-Q%d", i+1)
			case protocol.ProductionStatisticsType:
				m["period"] = fmt.Sprintf("%d-H1", 2020+i)
			case protocol.AnnualReportType:
				m["year"] = 2010 + i
			}
		}
		canon, _, err := canonicalRecord(k.Type, mutated(t, recordExamples[k.Type], unique))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, canon)
	}
	return bodies
}

// TestTableRoundTrip checks that WriteTable then ReadTable gives back the
// same canonical bodies, in both formats.
func TestTableRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		for _, format := range []string{FormatCSV, FormatJSON} {
			t.Run(k.Name+"/"+format, func(t *testing.T) {
				bodies := exampleBodies(t, k)
				var buf bytes.Buffer
				if err := WriteTable(k, &buf, format, bodies); err != nil {
					t.Fatal(err)
				}
				back, err := ReadTable(k, "export."+format, bytes.NewReader(buf.Bytes()), "")
				if err != nil {
					t.Fatalf("%v\n%s", err, buf.Bytes())
				}
				if !reflect.DeepEqual(back, bodies) {
					t.Errorf("round trip changed the bodies:\n%s", buf.Bytes())
				}
			})
		}
	}
}

// TestWriteTableNonCanonical checks that bodies in any valid form export to
// files that import as the same records.
func TestWriteTableNonCanonical(t *testing.T) {
	for typ, file := range recordExamples {
		k, ok := LookupKind(typ)
		if !ok {
			continue
		}
		body := readFile(t, filepath.Join(examplesDir, file)) // indented, amounts as written
		for _, format := range []string{FormatCSV, FormatJSON} {
			var buf bytes.Buffer
			if err := WriteTable(k, &buf, format, [][]byte{body}); err != nil {
				t.Fatal(err)
			}
			back, err := ReadTable(k, "x", &buf, format)
			want, _ := protocol.ParseRecord(typ, body)
			if err != nil || len(back) != 1 {
				t.Fatalf("%s %s: %v", typ, format, err)
			}
			if got, _ := protocol.ParseRecord(typ, back[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: got %+v, want %+v", typ, format, got, want)
			}
		}
	}
}

func TestWriteTableErrors(t *testing.T) {
	k := mustKind(t, "certificates")
	var buf bytes.Buffer
	err := WriteTable(k, &buf, FormatCSV, [][]byte{readFile(t, examplesDir+"/certificate.json"), []byte(`{"version":1}`)})
	var ve *protocol.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "body 1") || buf.Len() != 0 {
		t.Errorf("invalid body: %v, wrote %d bytes", err, buf.Len())
	}
	if err := WriteTable(k, &buf, "xml", nil); err == nil {
		t.Error("format xml accepted")
	}
	if err := WriteTable(Kind{Name: "notices"}, &buf, FormatCSV, nil); err == nil {
		t.Error("unknown kind accepted")
	}
	if err := WriteTable(k, &buf, FormatCSV, nil); err != nil || !strings.HasPrefix(buf.String(), "number,issuer,") || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("no bodies: %q, %v", buf.String(), err)
	}
	if bodies, err := ReadTable(k, "empty.csv", &buf, ""); err != nil || len(bodies) != 0 {
		t.Errorf("header only: %d bodies, %v", len(bodies), err)
	}
}

const certHeader = "number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n"

// certRow returns a valid row of certificate number n for certHeader,
// changed by the replacements old, new, ….
func certRow(n string, repl ...string) string {
	row := n + ",IN,KP Authority of India,2026-09-14,2026-11-13,Shree Ram Diamonds Pvt Ltd,GJEPC/KP/01873,IN,Antwerp Rough Trading BV,FOD-DIA-004512,BE,BE,MIXED,3,7102.31,1520.35,228052.50\n"
	return strings.NewReplacer(repl...).Replace(row)
}

// TestReadTableBadRows is the case of the issue: a CSV with bad rows in the
// middle is refused whole, each bad row named with its column.
func TestReadTableBadRows(t *testing.T) {
	csv := certHeader +
		certRow("IN0013001") + // 2
		certRow("IN0013001", "7102.31", "7102.21", "1520.35", "310.00", "228052.50", "3100.00") + // 3: its second line
		certRow("IN0013002", "7102.31", "7103.10") + // 4: not a rough diamond
		certRow("IN0013003", "1520.35", "-1520.35") + // 5
		certRow("IN0013004", "2026-09-14", "14/09/2026") + // 6
		certRow("IN0013005") + // 7
		certRow("IN0013005") + // 8: the same certificate twice
		certRow("IN0013001", "Antwerp Rough", "Dubai Rough", ",BE,BE,", ",AE,AE,", "7102.31", "7102.10") + // 9: IN0013001 reused
		certRow("IN0013006", "1520.35", `"1,520.35"`) + // 10
		certRow("IN0013007") // 11
	bodies, ie := readTable(t, "certificates", "certificates.csv", csv)
	if bodies != nil {
		t.Fatal("bodies returned")
	}
	wantProblems(t, ie,
		`4:hs_code:must be one of "7102.10", "7102.21", "7102.31", got "7103.10"`,
		`5:carats:must not be negative`,
		`6:issued:must be a date YYYY-MM-DD, got "14/09/2026"`,
		`8:hs_code:certificate IN0013005 already has a 7102.31 line on row 7`,
		`9:importer_name:certificate IN0013001 is also on row 2, with a different importer_name, importer_country and destination`,
		`10:carats:use a dot as decimal separator and no thousands separators`,
	)
	if got := ie.Errors[0].Error(); got != `certificates.csv:4:hs_code: must be one of "7102.10", "7102.21", "7102.31", got "7103.10"` {
		t.Errorf("Error() = %q", got)
	}
	// Without the bad rows, the file imports.
	good := certHeader + certRow("IN0013001") + certRow("IN0013001", "7102.31", "7102.21", "1520.35", "310.00", "228052.50", "3100.00") + certRow("IN0013007")
	if bodies, ie := readTable(t, "certificates", "certificates.csv", good); ie != nil || len(bodies) != 2 {
		t.Errorf("good file: %d bodies, %v", len(bodies), ie)
	}
}

func TestReadTableCertificateTotals(t *testing.T) {
	header := strings.TrimSuffix(certHeader, "\n") + ",total_carats,total_value_usd\n"
	two := func(tc, tv string) string {
		return strings.TrimSuffix(certRow("IN0013001"), "\n") + "," + tc + "," + tv + "\n" +
			strings.TrimSuffix(certRow("IN0013001", "7102.31", "7102.21", "1520.35", "310.00", "228052.50", "3100.00"), "\n") + ",,\n"
	}
	if bodies, ie := readTable(t, "certificates", "c.csv", header+two("1830.35", "231152.50")); ie != nil || len(bodies) != 1 {
		t.Fatalf("matching totals: %v", ie)
	}
	_, ie := readTable(t, "certificates", "c.csv", header+two("1830.00", "231152.50"))
	wantProblems(t, ie, "2:total_carats:is 1830.00, but the lines add up to 1830.35 (certificate IN0013001, rows 2, 3)")
	// A bad line is reported alone, not as a totals mismatch.
	_, ie = readTable(t, "certificates", "c.csv", header+strings.Replace(two("1830.35", "231152.50"), "310.00", "abc", 1))
	wantProblems(t, ie, `3:carats:"abc" is not a decimal`)
	// Too many lines is a certificate problem.
	var many strings.Builder
	many.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,line,hs_code,carats,value_usd\n")
	for i := 1; i <= 21; i++ {
		many.WriteString(strings.Replace(certRow("IN0013001"), ",7102.31,", fmt.Sprintf(",%d,7102.31,", i), 1))
	}
	_, ie = readTable(t, "certificates", "c.csv", many.String())
	wantProblems(t, ie, "22:line:must be between 1 and 20, got 21")
	// A certificate problem is reported on its first row, naming them all.
	_, ie = readTable(t, "certificates", "c.csv", strings.Replace(many.String(), "2026-11-13", "2026-01-13", -1))
	wantProblems(t, ie, "2:expires:must not be before issued (2026-09-14) (certificate IN0013001, rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, and 11 more)",
		"22:line:must be between 1 and 20, got 21")
}

func TestReadTableLineColumn(t *testing.T) {
	header := strings.Replace(certHeader, "parcels,hs_code", "parcels,line,hs_code", 1)
	row := func(line string, repl ...string) string {
		return strings.Replace(certRow("IN0013001", repl...), ",MIXED,3,", ",MIXED,3,"+line+",", 1)
	}
	second := []string{"1520.35", "310.00", "228052.50", "3100.00"}
	bodies, ie := readTable(t, "certificates", "c.csv", header+row("2", second...)+row("1"))
	if ie != nil || len(bodies) != 1 {
		t.Fatal(ie)
	}
	if c, _ := protocol.ParseCertificate(bodies[0]); c.Lines[0].Carats != 152035 || c.TotalCarats != 183035 {
		t.Errorf("lines not in line order: %+v", c.Lines)
	}
	_, ie = readTable(t, "certificates", "c.csv", header+row("1")+row("1", second...)+row("")+row("21")+row("x"))
	wantProblems(t, ie,
		"3:line:certificate IN0013001 already has line 1 on row 2",
		"4:line:is required on every row",
		"5:line:must be between 1 and 20, got 21",
		`6:line:must be a whole number, got "x"`)
	// A certificate whose only row is refused is not also reported empty.
	_, ie = readTable(t, "certificates", "c.csv", header+row("0"))
	wantProblems(t, ie, "2:line:must be between 1 and 20, got 0")
}

func TestReadTableDuplicateKeys(t *testing.T) {
	const header = "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n"
	csv := header +
		"IN,2026-Q3,export,BE,7102.31,1254310.55,188146582.50,812\n" +
		"IN,2026-Q3,export,AE,7102.31,310422.80,37250736.00,241\n" +
		"in,2026-q3,Export,be,7102.31,1.00,1.00,1\n"
	_, ie := readTable(t, "trade-statistics", "stats.csv", csv)
	wantProblems(t, ie, "4:reporter:duplicate of row 2: the same reporter, period, flow, partner, hs_code and origin")

	const conf = "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match\n"
	row := "IN0012001,IN,3,1830.35,Antwerp Rough Trading BV,FOD-DIA-004512,BE,Shree Ram,GJEPC/KP/01873,IN,2026-09-17,yes,yes\n"
	_, ie = readTable(t, "confirmations", "conf.csv", conf+row+row)
	wantProblems(t, ie, "3:certificate_number:duplicate of row 2: the same certificate_number and issuer")
}

func TestReadTableHeader(t *testing.T) {
	const stats = "reporter,period,carats,value_usd\n"
	tests := []struct {
		name, csv string
		want      []string
	}{
		{"empty", "", []string{"1::the file is empty"}},
		{"blank lines only", "\n\n", []string{"1::the file is empty"}},
		{"unknown", "reporter,period,carats,value_usd,colour\n", []string{"1:colour:unknown column; the columns of production-statistics are reporter, period, carats, value_usd, currency, value_original, exchange_rate_date, artisanal_carats, artisanal_value_usd, industrial_carats, industrial_value_usd, supersedes_seq, supersedes_item"}},
		{"duplicate", "reporter,period,carats,value_usd,Carats\n", []string{"1:carats:duplicate column (columns 3 and 5)"}},
		{"missing", "reporter,carats\n", []string{"1:period:required column is missing", "1:value_usd:required column is missing"}},
		{"bad quote", "reporter,\"period\n", []string{"1::header: a quoted value is not closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ie := readTable(t, "production-statistics", "p.csv", tt.csv)
			wantProblems(t, ie, tt.want...)
		})
	}
	// Names are matched without case or surrounding space, in any order,
	// after leading blank lines; blank rows count.
	bodies, ie := readTable(t, "production-statistics", "p.csv", "\n Value_USD ,PERIOD,carats,reporter\n1887885228.00,2026-h1,11873492.00,bw\n\n,,,\n0,2026-H1,0,zA\n")
	if ie != nil || len(bodies) != 2 || !strings.Contains(string(bodies[1]), `"reporter":"ZA"`) {
		t.Fatalf("%v %s", ie, bodies)
	}
	_, ie = readTable(t, "production-statistics", "p.csv", "\n"+stats+"\n\nBW,2026-H3,1,1\n")
	wantProblems(t, ie, "5:period:must be a half-year")
}

func TestReadTableCSVSyntax(t *testing.T) {
	const header = "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match,remarks\r\n"
	good := "IN0012001,IN,3,1830.35,\"Antwerp Rough Trading, BV\",FOD-DIA-004512,BE,\"The \"\"Shree Ram\"\" Company\",GJEPC/KP/01873,IN,2026-09-17,no,YES,\"Seal 2 broken,\r\nparcel re-weighed.\"\r\n"
	bodies, ie := readTable(t, "confirmations", "c.csv", "\uFEFF"+header+good)
	if ie != nil || len(bodies) != 1 {
		t.Fatal(ie)
	}
	c, err := protocol.ParseImportConfirmation(bodies[0])
	if err != nil || c.Importer.Name != "Antwerp Rough Trading, BV" || c.Exporter.Name != `The "Shree Ram" Company` ||
		c.Remarks != "Seal 2 broken,\nparcel re-weighed." || c.SealsIntact || !c.ContentsMatch {
		t.Errorf("%+v, %v", c, err)
	}
	bad := header +
		good +
		"IN0012002,IN,3,1830.35,Antwerp \"Rough\",FOD,BE,Shree,GJ,IN,2026-09-17,yes,yes,\n" + // 3
		"IN0012003,IN,3,1830.35,\"Antwerp\" BV,FOD,BE,Shree,GJ,IN,2026-09-17,yes,yes,\n" + // 4
		"IN0012004,IN,3,1830.35,Antwerp,FOD,BE,Shree,GJ,IN,2026-09-17,yes,yes\n" + // 5
		"IN0012005,IN,3,1830.35,Antw\x81rp,FOD,BE,Shree,GJ,IN,2026-09-17,yes,yes,\n" + // 6
		"IN0012006,IN,3,1830.35,Antwerp,FOD,BE,Shree,GJ,IN,2026-09-17,maybe,yes,,\n" + // 7
		"IN0012007,IN,3,1830.35,Antwerp,FOD,BE,Shree,GJ,IN,2026-09-17,maybe,yes,\n" + // 8
		"IN0012008,IN,3,1830.35,Antwerp,FOD,BE,Shree,GJ,IN,2026-09-17,yes,yes,\"unclosed\n"
	_, ie = readTable(t, "confirmations", "c.csv", bad)
	wantProblems(t, ie,
		`3::a quote (") inside a value that does not start with one`,
		"4::text after the closing quote",
		"5::has 13 values, the header has 14 columns",
		"6:importer_name:is not valid UTF-8",
		"7::has 15 values",
		`8:seals_intact:must be true, false, yes or no, got "maybe"`,
		"9::a quoted value is not closed")
}

func TestReadTableCells(t *testing.T) {
	const header = "certificate_number,issuer,carats,value_usd,origin,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,parcels,shipped\n"
	n := 0
	row := func(repl ...string) string {
		n++
		return strings.NewReplacer(repl...).Replace(fmt.Sprintf("in001200%d, in ,1830.35,231152.5,bw; za,Shree Ram,GJEPC,in,Antwerp Rough,FOD,be,3,2026-09-15\n", n))
	}
	bodies, ie := readTable(t, "pre-notifications", "p.csv", header+row())
	if ie != nil {
		t.Fatal(ie)
	}
	p, _ := protocol.ParsePreNotification(bodies[0])
	if p.CertificateNumber != "IN0012001" || p.Issuer != "IN" || !slices.Equal(p.Origin, []string{"BW", "ZA"}) || p.ValueUSD != 23115250 || p.Importer.Country != "BE" {
		t.Errorf("%+v", p)
	}
	_, ie = readTable(t, "pre-notifications", "p.csv", header+
		row(",3,", ",3.0,")+
		row(",3,", ",1 200,")+
		row("bw; za", `"BW,ZA"`)+
		row("231152.5", "231 152.50")+
		row("231152.5", `"231152,50"`)+
		row("2026-09-15", "15.09.2026")+
		row(",3,", ",99999999999999999999,")+
		row("bw; za", "BW;;ZA")+
		row("1830.35", "0"))
	wantProblems(t, ie,
		`2:parcels:must be a whole number, got "3.0"`,
		"3:parcels:without thousands separators",
		"4:origin:separate the origins with ;",
		"5:value_usd:use a dot as decimal separator",
		`6:value_usd:use a dot as decimal separator and no thousands separators, got "231152,50"`,
		`7:shipped:must be a date YYYY-MM-DD, got "15.09.2026"`,
		"8:parcels:is too large",
		"9:origin:must not be empty",
		"10:carats:must be greater than zero")
	_, ie = readTable(t, "trade-statistics", "s.csv", "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\nIN,2026-Q3,export,BE,7102.1,1,1,1\n")
	wantProblems(t, ie, "2:hs_code:a spreadsheet may have dropped the final zero")
}

func TestReadTableJSON(t *testing.T) {
	k := mustKind(t, "production-statistics")
	item := `{"reporter":"BW","period":"2026-H1","carats":"11873492","value_usd":"1887885228.00"}`
	want := `{"version":1,"reporter":"BW","period":"2026-H1","carats":"11873492.00","value_usd":"1887885228.00"}`
	for _, doc := range []string{
		"[" + item + "]",
		"\uFEFF [\n" + strings.Replace(item, "{", `{"version":1,`, 1) + "\n]\n",
		`{"items":[` + item + `]}`,
		`{"version":1,"type":"production_statistics","items":[` + item + `]}`,
	} {
		bodies, err := ReadTable(k, "p.json", strings.NewReader(doc), "")
		if err != nil || len(bodies) != 1 || string(bodies[0]) != want {
			t.Errorf("%s: %q, %v", doc, bodies, err)
		}
	}
	if bodies, err := ReadTable(k, "p.txt", strings.NewReader("[]"), FormatJSON); err != nil || len(bodies) != 0 {
		t.Errorf("empty array: %v, %v", bodies, err)
	}
	tests := []struct{ doc, want string }{
		{`[` + item + `,{},` + strings.Replace(item, "2026-H1", "2026-H3", 1) + `,3,` + item + `]`, ""},
		{`{"items":[],"type":"certificate"}`, `0::"type" must be "production_statistics"`},
		{`{"records":[]}`, `0::unexpected member "records"`},
		{`{"items":[],"items":[]}`, `0::duplicate member "items"`},
		{`[` + item + `,` + strings.Replace(item, `"period"`, `"period":"2026-H2","period"`, 1) + `]`, "2:period:duplicate key"},
		{"[" + item + ",\n\n" + `{"reporter":}]`, "0::is not valid JSON: missing value after object name within \"/1/reporter\" after offset 100 (line 3)"},
		{`{"items":{}}`, `0::"items" must be an array`},
		{`"x"`, "0::must be a JSON array of records"},
		{`[`, "0::is not valid JSON: unexpected EOF after offset 1 (line 1)"},
		{"[\"\xff\"]", "0::is not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := ReadTable(k, "p.json", strings.NewReader(tt.doc), "")
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		if tt.want == "" {
			wantProblems(t, ie, "2:reporter:is required", "2:period:is required", "2:carats:is required", "2:value_usd:is required",
				"3:period:must be a half-year", "4::must be an object", "5:reporter:duplicate of item 1: the same reporter and period")
			continue
		}
		wantProblems(t, ie, tt.want)
	}
	_, err := ReadTable(mustKind(t, "certificates"), "c.json", bytes.NewReader(readFile(t, examplesDir+"/batch.json")), "")
	if err != nil {
		t.Errorf("a batch body as a file: %v", err)
	}
}

func TestReadTableArguments(t *testing.T) {
	k := mustKind(t, "production-statistics")
	if _, err := ReadTable(k, "p.csv", strings.NewReader(""), "xlsx"); err == nil || errors.As(err, new(*ImportError)) {
		t.Errorf("format xlsx: %v", err)
	}
	if _, err := ReadTable(Kind{Name: "notices"}, "n.csv", strings.NewReader(""), ""); err == nil {
		t.Error("unknown kind accepted")
	}
	// By extension: a JSON file named .JSON, anything else CSV.
	if b, err := ReadTable(k, "P.JSON", strings.NewReader("[]"), ""); err != nil || len(b) != 0 {
		t.Errorf(".JSON: %v", err)
	}
	if _, err := ReadTable(k, "p.txt", strings.NewReader("[]"), ""); err == nil {
		t.Error(".txt read as JSON")
	}
	if _, err := ReadTable(k, "p.csv", failingReader{}, ""); err == nil || !strings.Contains(err.Error(), "p.csv") {
		t.Errorf("read error: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestImportErrorMessage(t *testing.T) {
	ie := &ImportError{}
	for i := range 25 {
		ie.Errors = append(ie.Errors, RowError{File: "f.csv", Row: i + 2, Column: "carats", Reason: "must be greater than zero"})
	}
	msg := ie.Error()
	if !strings.HasPrefix(msg, "import f.csv: 25 problems in 25 rows, nothing imported\n  f.csv:2:carats: must be greater than zero\n") ||
		strings.Count(msg, "\n  f.csv:") != 20 || !strings.HasSuffix(msg, "… and 5 more") {
		t.Errorf("message %q", msg)
	}
	for _, tt := range []struct {
		e    RowError
		want string
	}{
		{RowError{File: "f.csv", Row: 3, Reason: "r"}, "f.csv:3: r"},
		{RowError{File: "f.csv", Reason: "r"}, "f.csv: r"},
		{RowError{File: "f.json", Row: 1, Column: "lines[0].carats", Reason: "r"}, "f.json:1:lines[0].carats: r"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}

// TestTableDocs checks that docs/records.md documents every column.
func TestTableDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/records.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## 16. Import and export formats")
	if !ok {
		t.Fatal(`docs/records.md has no "Import and export formats" section`)
	}
	for _, k := range Kinds() {
		_, part, ok := strings.Cut(section, "### `"+k.Name+"`")
		if !ok {
			t.Errorf("no section for %s", k.Name)
			continue
		}
		part, _, _ = strings.Cut(part, "\n### ")
		for _, c := range k.Columns {
			if !strings.Contains(part, "| `"+c.Name+"` |") {
				t.Errorf("%s: column %s is not documented", k.Name, c.Name)
			}
		}
	}
}

// TestReadTableManyRows checks a file large enough to be checked in
// parallel: every bad row is reported, in row order, and a good file gives
// its bodies in file order.
func TestReadTableManyRows(t *testing.T) {
	var good, bad strings.Builder
	good.WriteString(certHeader)
	bad.WriteString(certHeader)
	var want []string
	for i := range 3000 {
		num := fmt.Sprintf("IN%07d", i)
		row := certRow(num) + certRow(num, "7102.31", "7102.21", "1520.35", "310.00", "228052.50", "3100.00")
		good.WriteString(row)
		switch {
		case i%401 == 7:
			row = certRow(num, "7102.31", "7102.39")
			want = append(want, fmt.Sprintf("%d:hs_code:must be one of", countRows(bad.String())+1))
		case i%577 == 3:
			row = certRow(num, "2026-11-13", "2026-13-13")
			want = append(want, fmt.Sprintf("%d:expires:must be a date", countRows(bad.String())+1))
		}
		bad.WriteString(row)
	}
	bodies, ie := readTable(t, "certificates", "big.csv", good.String())
	if ie != nil || len(bodies) != 3000 {
		t.Fatalf("%d bodies, %v", len(bodies), ie)
	}
	for i, b := range bodies {
		if want := fmt.Sprintf(`"number":"IN%07d"`, i); !bytes.Contains(b, []byte(want)) {
			t.Fatalf("body %d is not %s", i, want)
		}
	}
	_, ie = readTable(t, "certificates", "big.csv", bad.String())
	wantProblems(t, ie, want...)
}

// countRows counts the records of a CSV text without quoted line breaks.
func countRows(s string) int { return strings.Count(s, "\n") }

// TestReadTableCanonical checks that bodies built from CSV are already in
// the canonical form of canonicalRecord (encoding/json's), for values that
// JSON escapes or that have several spellings.
func TestReadTableCanonical(t *testing.T) {
	const header = "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match,remarks,supersedes_seq,supersedes_item\n"
	csv := header +
		"IN1,IN,+3,12.5,\"A <&> \\\\ \"\"B\"\" \u2028 \u2029 Ünïcödé\",L,BE,E,L,IN,2026-09-17,yes,no,\"tab\there\nnewline \u00a0 \u200bx\",12,0\n" +
		"IN2,IN,007,0.5,A,L,BE,E,L,IN,2026-09-17,true,true,,012,3\n"
	bodies, ie := readTable(t, "confirmations", "c.csv", csv)
	if ie != nil {
		t.Fatal(ie)
	}
	for i, b := range bodies {
		canon, _, err := canonicalRecord(protocol.ImportConfirmationType, b)
		if err != nil || !bytes.Equal(canon, b) {
			t.Errorf("body %d:\n got %s\nwant %s (%v)", i, b, canon, err)
		}
	}
}

// A correction gives the same bytes with or without its totals columns
// (an export writes them), so that a re-import recognises it; and
// ReadTableRows gives each record's first row.
func TestTableCorrectionCanonical(t *testing.T) {
	k, _ := LookupKind("certificates")
	head := "number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd"
	row := "IN0000001,IN,KP,2026-09-14,2026-12-31,E,E-1,IN,I,I-1,BE,BE,MIXED,1,7102.31,1500.00,228052.50"
	without, err := ReadTableRows(k, "a.csv", strings.NewReader(head+",supersedes_seq\n\n"+row+",3\n"), "csv", "IN")
	if err != nil {
		t.Fatal(err)
	}
	with, err := ReadTable(k, "b.csv", strings.NewReader(head+",total_carats,total_value_usd,supersedes_seq\n"+row+",1500.00,228052.50,3\n"), "csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(without.Bodies[0]) != string(with[0]) || without.Rows[0] != 3 {
		t.Fatalf("not canonical, or row %d (want 3):\n%s\n%s", without.Rows[0], without.Bodies[0], with[0])
	}
	if got := k.ColumnOf("supersedes.seq"); got != "supersedes_seq" {
		t.Fatalf("ColumnOf(supersedes.seq) = %q", got)
	}
}
