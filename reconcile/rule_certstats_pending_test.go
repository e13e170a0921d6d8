package reconcile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// unconfirmedQuarter is issue 14's case: IN issued 145 certificates to BE
// in 2023-Q4, BE confirmed 143 of them in the quarter, and two small ones
// are still unconfirmed.
func unconfirmedQuarter(f feeds) []Record {
	var out []Record
	for i := range 145 {
		l := line("7102.31", "1000.00", "150000.00")
		if i >= 143 {
			l = line("7102.31", "5.00", "750.00")
		}
		c := newCert("IN", fmt.Sprintf("IN%07d", i+1), "BE", "2023-10-02", l)
		out = append(out, f.rec("IN", c))
		if i < 143 {
			out = append(out, f.rec("BE", confirm(c, "2023-11-15")))
		}
	}
	return out
}

// TestCertStatsImportsCountConfirmedOnly: an import row is held to the
// certificates the importer confirmed; unconfirmed ones are named, not
// counted.
func TestCertStatsImportsCountConfirmedOnly(t *testing.T) {
	const id = "R10/BE/import/IN/2023-Q4/7102.31"
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := feeds{}
		addAll(s, unconfirmedQuarter(f)...)
		s.Add(f.rec("BE", trade("BE", "2023-Q4", imp, "IN", "7102.31", "143000.00", "21450000.00", 143)))
		wantIDs(t, ofRule(s.Findings(early), "R10"))
		// BE counts the two unconfirmed shipments in its statistics: the
		// finding names both certificates.
		s.Add(f.rec("BE", trade("BE", "2023-Q4", imp, "IN", "7102.31", "143010.00", "21451500.00", 145)))
		g := find(t, ofRule(s.Findings(early), "R10"), id)
		if g.Numbers["raised_by"] != "certificates" || g.Numbers["unconfirmed_certificates"] != "2" {
			t.Fatalf("self %s: %v", self, g.Numbers)
		}
		for _, want := range []string{"IN/IN0000144", "IN/IN0000145", "certificates 1.37 % apart"} {
			if !strings.Contains(g.Explanation, want) {
				t.Fatalf("self %s: explanation lacks %q: %s", self, want, g.Explanation)
			}
		}
		// The unconfirmed cause comes first in the long explanation.
		_, text, _ := s.Explain(id)
		causes := text[strings.Index(text, "Before suspecting fraud"):]
		if first := strings.SplitN(causes, "\n", 3)[1]; !strings.Contains(first, "IN/IN0000144") {
			t.Fatalf("self %s: first cause: %s", self, first)
		}
	}
}

// TestCertStatsCountsCurrentRecordsOnly: a corrected certificate or
// statistics row replaces the one it supersedes in every sum.
func TestCertStatsCountsCurrentRecordsOnly(t *testing.T) {
	f := feeds{}
	c := newCert("IN", "IN0000001", "BE", "2026-01-10", line("7102.31", "100.00", "15000.00"))
	r := f.rec("IN", c)
	fix := *c
	fix.Lines = []protocol.CertificateLine{line("7102.31", "90.00", "13500.00")}
	fix.TotalCarats, fix.TotalValueUSD = ct("90.00"), usd("13500.00")
	fix.Supersedes = &protocol.Supersedes{Seq: r.Ref.Seq}
	row := f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "100.00", "15000.00", 1))
	rowFix := *row.Body.(*protocol.TradeStatistics)
	rowFix.Carats, rowFix.ValueUSD = ct("90.00"), usd("13500.00")
	rowFix.Supersedes = &protocol.Supersedes{Seq: row.Ref.Seq}
	all := []Record{r, f.rec("IN", &fix), row, f.rec("IN", &rowFix)}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}} {
		s := newState(t, "IN")
		for _, i := range order {
			s.Add(all[i])
		}
		wantIDs(t, ofRule(s.Findings(early), "R10"))
	}
}
