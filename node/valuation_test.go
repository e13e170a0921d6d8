package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/reconcile"
)

// vdm2026 prices gem lines of mixed origin at USD 600/ct: the example
// certificate's gem line, at USD 150/ct, is below a third of it. The
// built-in table's world average (USD 134/ct, all qualities) bounds gem
// lines from below only, at USD 44.67, and does not flag it.
const vdm2026 = "origin,hs_code,year,usd_per_carat,source\nWORLD,7102.31,2026,600,WGDE Valuation Data Matrix 2026\n"

const exampleR8 = "R8/IN/IN0000001/1"

// r8 returns the ids of n's R8 findings, once its stored records are
// loaded.
func r8(n *Node) string {
	var ids []string
	for _, f := range n.Findings(reconcile.Query{Rule: "R8"}) {
		ids = append(ids, f.ID)
	}
	return strings.Join(ids, ",")
}

// TestValuationImport: an operator's valuation table changes R8's
// findings at once, survives a restart, is audited, and a reset goes
// back to the built-in table.
func TestValuationImport(t *testing.T) {
	fx := newFixture(t, "IN")
	n := fx.start()
	if _, err := n.Import(context.Background(), "certificate", certificates(t, 1), nil, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the certificate reconciled", func() error {
		if recs, _ := n.findings.st.Len(); recs != 1 {
			return fmt.Errorf("%d records", recs)
		}
		return nil
	})
	if got := r8(n); got != "" {
		t.Fatalf("R8 with the built-in table: %q", got)
	}

	dry, err := n.ImportValuation(ValuationImport{File: "vdm-2026.csv", Data: []byte(vdm2026), DryRun: true, By: "test"})
	if err != nil || !dry.DryRun || dry.Rows != 1 || dry.Replaced != 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if got := r8(n); got != "" || n.Valuation().Operator != nil {
		t.Fatalf("a dry run changed the table: %q", got)
	}

	res, err := n.ImportValuation(ValuationImport{File: "vdm-2026.csv", Data: []byte(vdm2026), By: "test"})
	if err != nil || res.Rows != 1 || res.Raised != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if got := r8(n); got != exampleR8 {
		t.Fatalf("R8 after the import: %q, want %s", got, exampleR8)
	}
	_, text, err := n.ExplainFinding(exampleR8)
	if err != nil || !strings.Contains(text, "WORLD 7102.31 2026, WGDE Valuation Data Matrix 2026") {
		t.Fatalf("explanation: %q, %v", text, err)
	}
	if action, details := newestAudit(t, n); action != AuditValuationImport || !strings.Contains(details, `"file":"vdm-2026.csv"`) || !strings.Contains(details, `"by":"test"`) {
		t.Fatalf("audit: %s %s", action, details)
	}
	checkTable(t, n, "vdm-2026.csv")

	// A refused table changes nothing.
	_, err = n.ImportValuation(ValuationImport{File: "bad.csv", Data: []byte(vdm2026 + "WORLD,7102.31,2026,601,again\n"), By: "test"})
	var ue *reconcile.UnitValuesError
	if !errors.As(err, &ue) || ue.File != "bad.csv" || ue.Row != 3 || ue.Column != "year" {
		t.Fatalf("a duplicate row: %v", err)
	}
	checkTable(t, n, "vdm-2026.csv")

	// After a restart the table is the operator's still.
	fx.stop()
	n = fx.start()
	if got := r8(n); got != exampleR8 {
		t.Fatalf("R8 after a restart: %q, want %s", got, exampleR8)
	}
	checkTable(t, n, "vdm-2026.csv")

	if _, err := n.ResetValuation("test"); err != nil {
		t.Fatal(err)
	}
	if got := r8(n); got != "" || n.Valuation().Operator != nil {
		t.Fatalf("R8 after a reset: %q", got)
	}
	if action, _ := newestAudit(t, n); action != AuditValuationReset {
		t.Fatalf("audit: %s", action)
	}
	fx.stop()
	n = fx.start()
	if got := r8(n); got != "" || n.Valuation().Operator != nil {
		t.Fatalf("R8 after a reset and a restart: %q", got)
	}
}

// checkTable checks that n's table in use is the default with one
// operator row from file.
func checkTable(t *testing.T, n *Node, file string) {
	t.Helper()
	tab := n.Valuation()
	if tab.Operator == nil || tab.Operator.File != file || tab.Operator.Rows != 1 || len(tab.Operator.SHA256) != 64 {
		t.Fatalf("operator: %+v", tab.Operator)
	}
	var ops, defs int
	for _, r := range tab.Rows {
		switch r.Table {
		case TableOperator:
			ops++
			if r.Origin != "WORLD" || r.HSCode != "7102.31" || r.Year != 2026 || r.USDPerCarat.String() != "600.00" || r.Source != "WGDE Valuation Data Matrix 2026" {
				t.Fatalf("operator row %+v", r)
			}
		case TableDefault:
			defs++
		}
	}
	if ops != 1 || defs != reconcile.DefaultUnitValues().Len() {
		t.Fatalf("%d operator rows, %d default rows", ops, defs)
	}
	ref := n.UnitValueReference()
	if len(ref) != len(tab.Rows) {
		t.Fatalf("reference %d rows, table %d", len(ref), len(tab.Rows))
	}
}

// TestValuationImportLimits: a file too large, and names that are not one
// line of text, are refused before the table is read.
func TestValuationImportLimits(t *testing.T) {
	n := testNode(t, "IN")
	big := make([]byte, MaxValuationBytes+1)
	if _, err := n.ImportValuation(ValuationImport{File: "big.csv", Data: big}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("a huge file: %v", err)
	}
	if _, err := n.ImportValuation(ValuationImport{File: "a\nb.csv", Data: []byte(vdm2026)}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("a file name with a newline: %v", err)
	}
	if _, err := n.ImportValuation(ValuationImport{File: "empty.csv", Data: []byte("origin,hs_code,year,usd_per_carat,source\n")}); !errors.Is(err, reconcile.ErrUnitValues) {
		t.Fatalf("a table without rows: %v", err)
	}
	if n.Valuation().Operator != nil {
		t.Fatal("a refused table was loaded")
	}
}
