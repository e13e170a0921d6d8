package reconcile

import "testing"

func TestArithmeticTotals(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05", line("7102.31", "100.00", "15000.00"), line("7102.10", "50.00", "5000.00"))
	c.TotalCarats = ct("160.00") // not the sum of the lines
	s.Add(f.rec("IN", c))
	g := find(t, s.Findings(early), "R7/IN/IN0001234")
	if g.Numbers["lines_carats"] != "150.00" || g.Numbers["total_carats"] != "160.00" {
		t.Fatalf("%+v", g.Numbers)
	}
}

func TestArithmeticClassification(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	clean := newCert("IN", "IN0000001", "BE", "2026-01-05",
		line("7102.21", "1000.00", "8000.00"), // USD 8/ct: industrial
		line("7102.31", "100.00", "20000.00")) // USD 200/ct: gem
	s.Add(f.rec("IN", clean))
	wantIDs(t, ofRule(s.Findings(early), "R7"))
	odd := newCert("IN", "IN0000002", "BE", "2026-01-05",
		line("7102.21", "10.00", "3000.00"),  // USD 300/ct on an industrial line
		line("7102.31", "500.00", "1000.00"), // USD 2/ct on a gem line
		line("7102.21", "10.00", "500.00"))   // USD 50/ct: at the ceiling, not above
	s.Add(f.rec("IN", odd))
	fs := ofRule(s.Findings(early), "R7")
	wantIDs(t, fs, "R7/IN/IN0000002/1", "R7/IN/IN0000002/2")
	if g := fs[0]; g.Numbers["usd_per_carat"] != "300.00" || g.Numbers["hs_code"] != "7102.21" {
		t.Fatalf("%+v", g.Numbers)
	}
}
