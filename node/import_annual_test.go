package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/tabular"
)

// readAnnualReports reads an annual-reports CSV as the API does.
func readAnnualReports(t *testing.T, data []byte) [][]byte {
	t.Helper()
	kind, _ := tabular.LookupKind("annual-reports")
	bodies, err := tabular.ReadTableAs(kind, "reports.csv", bytes.NewReader(data), "", "IN")
	if err != nil {
		t.Fatal(err)
	}
	return bodies
}

// annualStatus returns the status of code's annual report for year in n's
// calendar.
func annualStatus(n *Node, code, year string) string {
	for _, pc := range n.Calendar().Parties {
		for _, op := range pc.Obligations {
			for _, ps := range op.Periods {
				if pc.Code == code && op.Obligation == "annual_report" && ps.Period == year {
					return ps.Status
				}
			}
		}
	}
	return ""
}

// TestImportAnnualReports: an import publishes each annual report as an
// entry of its own (no batch: older nodes refuse a batch of a type they
// do not know), to every pinned partner; an import cut off after its
// first entry and run again publishes only the rest, and the same file
// again publishes nothing. The partner holds the reports and its calendar
// counts them.
func TestImportAnnualReports(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	connectAll(t, in, be)
	data, err := os.ReadFile("../docs/examples/import/annual-reports.csv")
	if err != nil {
		t.Fatal(err)
	}
	all := readAnnualReports(t, data)
	ctx := context.Background()
	// the first report alone: an import cut off after its first entry
	res, err := in.Import(ctx, protocol.AnnualReportType, all[:1], nil, false)
	if err != nil || res.New != 1 || len(res.Entries) != 1 {
		t.Fatalf("first report: %+v, %v", res, err)
	}
	res, err = in.Import(ctx, protocol.AnnualReportType, all, nil, false)
	if err != nil || res.New != 1 || res.Skipped != 1 || len(res.Entries) != 1 {
		t.Fatalf("the whole file after the first report: %+v, %v", res, err)
	}
	for _, p := range res.Entries {
		if p.Type != protocol.AnnualReportType || strings.Join(p.Audience, ",") != "BE" {
			t.Errorf("entry %d: %s to %v, want an annual_report to BE", p.Seq, p.Type, p.Audience)
		}
	}
	res, err = in.Import(ctx, protocol.AnnualReportType, all, nil, false)
	if err != nil || res.New != 0 || len(res.Entries) != 0 {
		t.Fatalf("the same file again: %+v, %v", res, err)
	}
	eventually(t, 30*time.Second, "IN's annual reports at BE", func() error {
		views, _, err := be.Records(RecordsQuery{Type: protocol.AnnualReportType, Feed: "IN"})
		if err != nil || len(views) != 2 {
			return fmt.Errorf("%d reports, %v", len(views), err)
		}
		return nil
	})
	for _, year := range []string{"2024", "2025"} {
		if st := annualStatus(be, "IN", year); st != reconcile.StatusOnTime && st != reconcile.StatusLate {
			t.Errorf("BE's calendar: IN's %s report is %q, want received", year, st)
		}
	}
}
