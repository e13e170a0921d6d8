package tabular

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// Tests of record types read from and written to files, moved here from
// protocol with the table code.

// exampleType returns the record type an example file is named after.
func exampleType(name string) string {
	if i := strings.IndexAny(name, "-."); i >= 0 {
		return name[:i]
	}
	return name
}

// TestStatisticsStoredBeforeRoundTrip checks the migration promise for
// files: an example written before origin, date basis and currency existed
// keeps its canonical bytes and goes through a CSV export and import.
func TestStatisticsStoredBeforeRoundTrip(t *testing.T) {
	canon, _, err := canonicalRecord(protocol.TradeStatisticsType, readFile(t, examplesDir+"/trade_statistics.json"))
	if err != nil || bytes.Contains(canon, []byte("origin")) || bytes.Contains(canon, []byte("currency")) {
		t.Errorf("canonical form %s (%v) gained members", canon, err)
	}
	checkCSVRoundTrip(t, "trade-statistics", canon)
}

// TestReadTableAsNamesTheRow checks that an import file with a record in
// another authority's name is refused naming file, row and column, in CSV
// (a certificate over two rows, named by its first) and in JSON.
func TestReadTableAsNamesTheRow(t *testing.T) {
	kind, _ := LookupKind("trade-statistics")
	csvFile := "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n" +
		"IN,2026-Q1,export,BE,7102.31,5.00,500.00,1\n" +
		"BE,2026-Q1,export,AE,7102.31,5.00,500.00,1\n"
	_, err := ReadTableAs(kind, "stats.csv", strings.NewReader(csvFile), "", "IN")
	if err == nil || !strings.Contains(err.Error(), "stats.csv:3:reporter: is BE, but this node is IN's") {
		t.Fatalf("got %v", err)
	}
	if _, err := ReadTable(kind, "stats.csv", strings.NewReader(csvFile), ""); err != nil {
		t.Fatalf("without an author: %v", err)
	}
	jsonFile := `[{"reporter":"EU","period":"2026-Q1","flow":"export","partner":"IN","hs_code":"7102.31","carats":"5.00","value_usd":"500.00","certificates":1},` +
		`{"reporter":"DE","period":"2026-Q1","flow":"export","partner":"IN","hs_code":"7102.31","carats":"5.00","value_usd":"500.00","certificates":1}]`
	_, err = ReadTableAs(kind, "stats.json", strings.NewReader(jsonFile), "", "BE")
	if err == nil || !strings.Contains(err.Error(), "stats.json:2:reporter: is DE, but this node is BE's") || strings.Contains(err.Error(), ":1:") {
		t.Fatalf("got %v", err)
	}
	certs, _ := LookupKind("certificates")
	file := string(readFile(t, examplesDir+"/import/certificates.csv"))
	_, err = ReadTableAs(certs, "certs.csv", strings.NewReader(file), "", "AE")
	if err == nil || !strings.Contains(err.Error(), "certs.csv:2:issuer: is IN, but this node is AE's") {
		t.Fatalf("got %v", err)
	}
}

// TestImportNamesTheBidiCell checks that an import file with a bidi
// override in a name is refused naming file, row and column.
func TestImportNamesTheBidiCell(t *testing.T) {
	kind, _ := LookupKind("certificates")
	file := strings.Replace(string(readFile(t, examplesDir+"/import/certificates.csv")), "Shree Ram Diamonds", "Shree Ram \u202eDiamonds", 1)
	_, err := ReadTable(kind, "certs.csv", strings.NewReader(file), "")
	if err == nil || !strings.Contains(err.Error(), "certs.csv:2:exporter_name: contains bidirectional control character U+202E") {
		t.Fatalf("got %v", err)
	}
}

// TestNewFieldsRoundTrip checks that every new member goes through a CSV
// export and import unchanged, an address with a formula-like start and
// several lines included.
func TestNewFieldsRoundTrip(t *testing.T) {
	for _, tt := range []struct{ kind, file string }{
		{"trade-statistics", "trade_statistics-by-origin.json"},
		{"production-statistics", "production_statistics-split.json"},
	} {
		canon, _, err := canonicalRecord(exampleType(tt.file), readFile(t, examplesDir+"/"+tt.file))
		if err != nil {
			t.Fatal(err)
		}
		checkCSVRoundTrip(t, tt.kind, canon)
	}
	body := mutated(t, "certificate.json", func(m map[string]any) {
		set("exporter.address", "=HYPERLINK(\"x\")\nMumbai 400004")(m)
		set("importer.address", "Hoveniersstraat 22, 2018 Antwerpen")(m)
	})
	canon, _, err := canonicalRecord(protocol.CertificateType, body)
	if err != nil {
		t.Fatal(err)
	}
	checkCSVRoundTrip(t, "certificates", canon)
}

// TestReadTableOriginRows checks that two rows of one cell with different
// origins are two records, and the same origin twice a duplicate.
func TestReadTableOriginRows(t *testing.T) {
	const header = "reporter,period,flow,partner,hs_code,origin,carats,value_usd,certificates\n"
	bodies, ie := readTable(t, "trade-statistics", "s.csv", header+
		"IN,2026-Q3,export,BE,7102.31,BW,10,100,1\n"+
		"IN,2026-Q3,export,BE,7102.31,ZA,20,200,2\n"+
		"IN,2026-Q3,export,BE,7102.31,,5,50,1\n")
	if ie != nil || len(bodies) != 3 {
		t.Fatalf("%d bodies, %v", len(bodies), ie)
	}
	_, ie = readTable(t, "trade-statistics", "s.csv", header+
		"IN,2026-Q3,export,BE,7102.31,BW,10,100,1\n"+
		"IN,2026-Q3,export,BE,7102.31,bw,20,200,2\n")
	wantProblems(t, ie, "3:reporter:duplicate of row 2: the same reporter, period, flow, partner, hs_code and origin")
}

// TestImportExamplesByOrigin checks the CSV examples of the new columns:
// they read, and write back to the same records.
func TestImportExamplesByOrigin(t *testing.T) {
	for file, kind := range map[string]string{
		"trade-statistics-by-origin.csv":  "trade-statistics",
		"production-statistics-split.csv": "production-statistics",
	} {
		bodies, ie := readTable(t, kind, file, string(readFile(t, examplesDir+"/import/"+file)))
		if ie != nil || len(bodies) < 2 {
			t.Fatalf("%s: %d records, %v", file, len(bodies), ie)
		}
		for _, b := range bodies {
			checkCSVRoundTrip(t, kind, b)
		}
	}
}

// TestReadAnnualReports: each section is a cell that may span lines, the
// findings resolved are separated by ;, and a bad row refuses the whole
// file naming each problem's row (a row spanning two lines is one) and
// column.
func TestReadAnnualReports(t *testing.T) {
	kind := mustKind(t, "annual-reports")
	head := "reporter,year,legislation_institutions,import_export_regime,statistics,enforcement,review_visits,discrepancies,artisanal_production,resolves\n"
	good := head + "IN,2025,\"Act of 1992;\nno change\",b,c,d,e,f,n/a,R9/IN/BE/2025-Q2/7102.31; R11/IN/annual-report/missing\n"
	bodies, err := ReadTableAs(kind, "r.csv", strings.NewReader(good), "", "IN")
	if err != nil || len(bodies) != 1 {
		t.Fatalf("%d bodies, %v", len(bodies), err)
	}
	r, err := protocol.ParseAnnualReport(bodies[0])
	if err != nil || r.Sections.Legislation != "Act of 1992;\nno change" || len(r.Resolves) != 2 || r.Resolves[1] != "R11/IN/annual-report/missing" {
		t.Fatalf("%+v, %v", r, err)
	}
	bad := good +
		"IN,20x6,a,b,c,d,e,f,g,\n" +
		"IN,2026,a,b,c,,e,f,g,R9 IN\n" +
		"BE,2027,a,b,c,d,e,f,g,;\n" +
		"IN,2025,a,b,c,d,e,f,g,\n"
	_, err = ReadTableAs(kind, "r.csv", strings.NewReader(bad), "", "IN")
	for _, want := range []string{"r.csv:3:year:", "r.csv:4:enforcement: is required", "r.csv:4:resolves: must be a finding id", "r.csv:5:reporter: is BE, but this node is IN's", "r.csv:5:resolves: names nothing", "r.csv:6:reporter: duplicate of row 2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
