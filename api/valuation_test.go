package api

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
)

const vdm = "origin,hs_code,year,usd_per_carat,source\nWORLD,7102.31,2026,600,WGDE Valuation Data Matrix 2026\n"

// TestValuationRoutes: an operator loads a valuation table through the
// API (a dry run first), R8 follows it, the table shows where each row
// comes from, a bad table is refused whole with its row and column, the
// loads are audited with who made them, and a reset goes back.
func TestValuationRoutes(t *testing.T) {
	srv, n := newTestAPI(t, "IN")
	cert, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Import(context.Background(), "certificate", [][]byte{cert}, nil, false); err != nil {
		t.Fatal(err)
	}
	r8 := func() int { return len(n.Findings(reconcile.Query{Rule: "R8"})) }
	if r8() != 0 {
		t.Fatal("R8 finding with the built-in table")
	}

	if code, b := call(t, srv, "POST", "/api/valuation?file=vdm.csv", "", []byte(vdm)); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d %s", code, b)
	}
	code, b := call(t, srv, "POST", "/api/valuation?file=vdm.csv&dry_run=true", testToken, []byte(vdm))
	if code != http.StatusOK || !strings.Contains(string(b), `"dry_run": true`) || r8() != 0 {
		t.Fatalf("dry run: %d %s", code, b)
	}
	var dry node.ValuationResult
	if json.Unmarshal(b, &dry) != nil || len(dry.Preview) != 1 || dry.Preview[0].Origin != "WORLD" || dry.Preview[0].USDPerCarat.String() != "600.00" ||
		dry.Preview[0].Source != "WGDE Valuation Data Matrix 2026" {
		t.Fatalf("dry run preview: %s", b)
	}
	code, b = call(t, srv, "POST", "/api/valuation?file=vdm.csv", testToken, []byte(vdm))
	var res node.ValuationResult
	if code != http.StatusOK || json.Unmarshal(b, &res) != nil || res.Rows != 1 || res.Raised != 1 {
		t.Fatalf("load: %d %s", code, b)
	}
	if r8() != 1 {
		t.Fatal("no R8 finding after the load")
	}

	var tab node.ValuationTable
	code, b = call(t, srv, "GET", "/api/valuation", testToken, nil)
	if code != http.StatusOK || json.Unmarshal(b, &tab) != nil || tab.Operator == nil || tab.Operator.File != "vdm.csv" || tab.Operator.By != "node" {
		t.Fatalf("table: %d %s", code, b)
	}
	code, b = call(t, srv, "GET", "/api/reference/unit-values", testToken, nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"table": "operator"`) || !strings.Contains(string(b), `"file": "vdm.csv"`) {
		t.Fatalf("reference: %d %.300s", code, b)
	}

	// A bad table: 422 with the row, nothing changed.
	bad := vdm + "ZZ,7102.31,2026,60,x\n"
	code, b = call(t, srv, "POST", "/api/valuation?file=bad.csv", testToken, []byte(bad))
	var e struct{ Error Error }
	if code != http.StatusUnprocessableEntity || json.Unmarshal(b, &e) != nil || e.Error.Code != "invalid_valuation" ||
		len(e.Error.Rows) != 1 || e.Error.Rows[0].File != "bad.csv" || e.Error.Rows[0].Row != 3 || e.Error.Rows[0].Column != "origin" {
		t.Fatalf("bad table: %d %s", code, b)
	}
	if n.Valuation().Operator.File != "vdm.csv" {
		t.Fatal("a refused table replaced the loaded one")
	}
	// Too large: 413.
	if code, b := call(t, srv, "POST", "/api/valuation?file=big.csv", testToken, make([]byte, node.MaxValuationBytes+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d %s", code, b)
	}
	// A file name that is not a name.
	if code, b := call(t, srv, "POST", "/api/valuation?file=a%0Ab", testToken, []byte(vdm)); code != http.StatusBadRequest {
		t.Fatalf("bad file name: %d %s", code, b)
	}

	code, b = call(t, srv, "DELETE", "/api/valuation", testToken, nil)
	if code != http.StatusOK || r8() != 0 || n.Valuation().Operator != nil {
		t.Fatalf("reset: %d %s", code, b)
	}
	recs, err := n.AuditLog(2)
	if err != nil || len(recs) != 2 || recs[0].Action != node.AuditValuationReset || recs[1].Action != node.AuditValuationImport ||
		!strings.Contains(string(recs[1].Details), `"by": "node"`) && !strings.Contains(string(recs[1].Details), `"by":"node"`) {
		t.Fatalf("audit: %v %v", recs, err)
	}
}

// TestValuationBySession: a load from the dashboard names the session in
// the audit log, and must come from the dashboard's own origin.
func TestValuationBySession(t *testing.T) {
	srv, n := newTestAPI(t, "IN")
	_, _, c := signIn(t, srv)
	resp, b := send(t, srv, "POST", "/api/valuation?file=vdm.csv", []byte(vdm), map[string]any{"c": c, "Origin": "http://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site: %d %s", resp.StatusCode, b)
	}
	resp, b = send(t, srv, "POST", "/api/valuation?file=vdm.csv", []byte(vdm), map[string]any{"c": c, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("from the dashboard: %d %s", resp.StatusCode, b)
	}
	if by := n.Valuation().Operator.By; by != "node" {
		t.Fatalf("by %q", by)
	}
}
