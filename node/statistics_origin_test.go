package node

import (
	"strings"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

const originStatsHeader = "reporter,period,flow,partner,hs_code,origin,carats,value_usd,certificates,date_basis,supersedes_seq,supersedes_item\n"

// Issue 14, the model: trade statistics split by origin import as
// distinct records, count as one cell (the KP table, R10), and a
// correction of one origin row leaves the others; the export imports
// back into the same node unchanged.
func TestImportStatisticsByOrigin(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	certs := certHeader + certRow("IN0000001", "IN", "BE", "2026-07-14", "100.00", "15000.00", "", "") +
		certRow("IN0000002", "IN", "BE", "2026-07-15", "200.00", "30000.00", "", "")
	mustImport(t, in, "certificate", table(t, "certificates", certs), 2) // entry 1
	split := originStatsHeader +
		"IN,2026-Q3,export,BE,7102.31,BW,100.00,15000.00,1,export_date,,\n" +
		"IN,2026-Q3,export,BE,7102.31,ZA,200.00,30000.00,1,export_date,,\n"
	mustImport(t, in, "trade_statistics", table(t, "trade-statistics", split), 2) // entry 2, items 0 and 1
	r := gemRow(t, in, "2026-Q3", "export")
	if r.Submitted == nil || r.Submitted.Carats.String() != "300.00" || r.Submitted.Certificates != 2 || len(r.Differs) != 0 {
		t.Fatalf("the KP table does not sum the origins: %+v %+v", r, r.Submitted)
	}
	if fs := in.Findings(reconcile.Query{Rule: "R10"}); len(fs) != 0 {
		t.Fatalf("false R10 against rows split by origin: %+v", fs)
	}
	fix := originStatsHeader + "IN,2026-Q3,export,BE,7102.31,BW,110.00,15000.00,1,export_date,2,0\n"
	mustImport(t, in, "trade_statistics", table(t, "trade-statistics", fix), 1) // entry 3
	if r := gemRow(t, in, "2026-Q3", "export"); r.Submitted == nil || r.Submitted.Carats.String() != "310.00" {
		t.Fatalf("after correcting the BW row: %+v", r.Submitted)
	}
	out := exportCSV(t, in, "trade-statistics")
	if strings.Count(out, ",BW,") != 1 || !strings.Contains(out, ",ZA,200.00,") || !strings.Contains(out, ",110.00,") {
		t.Fatalf("export:\n%s", out)
	}
	mustImport(t, in, "trade_statistics", table(t, "trade-statistics", out), 0)
}
