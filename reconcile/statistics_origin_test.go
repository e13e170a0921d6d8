package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// byOrigin is trade with an origin stated.
func byOrigin(origin string, t *protocol.TradeStatistics) *protocol.TradeStatistics {
	t.Origin = origin
	return t
}

// TestOriginSplitComparesWithUnsplit checks that a cell reported split by
// origin counts the sum of its rows: BE's imports split into BW and ZA
// agree with IN's unsplit exports (R9), with IN's certificates (R10) and
// with BE's own unsplit previous quarter (R11).
func TestOriginSplitComparesWithUnsplit(t *testing.T) {
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := quarterOfCerts(s, 3, true)
		addAll(s,
			f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "300.00", "45000.00", 3)),
			f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "300.00", "45000.00", 3)),
			f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "300.00", "45000.00", 3)),
			f.rec("BE", byOrigin("BW", trade("BE", "2026-Q1", imp, "IN", "7102.31", "200.00", "30000.00", 2))),
			f.rec("BE", byOrigin("ZA", trade("BE", "2026-Q1", imp, "IN", "7102.31", "100.00", "15000.00", 1))),
		)
		for _, rule := range []string{"R9", "R10", "R11"} {
			if fs := ofRule(s.Findings(at("2026-06-01")), rule); len(fs) > 0 {
				t.Errorf("self %s: false %s findings: %s", self, rule, describe(fs))
			}
		}
	}
}

// TestOriginRowCorrection checks that a correction of one origin row
// replaces that row only: the cell is the corrected BW row plus the
// untouched ZA row.
func TestOriginRowCorrection(t *testing.T) {
	s := newState(t, "IN")
	f := quarterOfCerts(s, 3, true)
	s.Add(f.rec("BE", byOrigin("BW", trade("BE", "2026-Q1", imp, "IN", "7102.31", "200.00", "30000.00", 2))))
	bw := f["BE"]
	s.Add(f.rec("BE", byOrigin("ZA", trade("BE", "2026-Q1", imp, "IN", "7102.31", "100.00", "15000.00", 1))))
	wantIDs(t, ofRule(s.Findings(early), "R10"))
	fix := byOrigin("BW", trade("BE", "2026-Q1", imp, "IN", "7102.31", "210.00", "30000.00", 2))
	fix.Supersedes = &protocol.Supersedes{Seq: bw}
	s.Add(f.rec("BE", fix))
	fs := ofRule(s.Findings(early), "R10")
	wantIDs(t, fs, "R10/BE/import/IN/2026-Q1/7102.31")
	if n := fs[0].Numbers; n["statistics_carats"] != "310.00" || n["certificates_carats"] != "300.00" {
		t.Fatalf("%v", n)
	}
}
