package reconcile

import (
	"testing"
	"time"
)

func TestUnconfirmedWindowAndEscalation(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	s.Add(f.rec("IN", c))
	wantIDs(t, s.Findings(at("2026-02-03"))) // day 29
	fs := s.Findings(at("2026-02-04"))       // day 30
	g := find(t, fs, "R2/IN/IN0001234")
	if g.Severity != Warning || g.Partner != "BE" || !g.Since.Equal(at("2026-02-04")) {
		t.Fatalf("at 30 days: %+v", g)
	}
	g = find(t, s.Findings(at("2026-03-06")), "R2/IN/IN0001234") // day 60
	if g.Severity != Critical || !g.Since.Equal(at("2026-03-06")) {
		t.Fatalf("at 60 days: %+v", g)
	}
	// The clock may go back (a test, an operator's what-if).
	if g := find(t, s.Findings(at("2026-02-10")), "R2/IN/IN0001234"); g.Severity != Warning {
		t.Fatalf("back to day 36: %+v", g)
	}
	wantIDs(t, s.Findings(at("2026-01-10")))
	// The confirmation clears it, whatever the clock.
	s.Findings(at("2026-06-01"))
	_, cleared := s.Add(f.rec("BE", confirm(c, "2026-01-09")))
	if len(cleared) != 1 {
		t.Fatalf("confirmation cleared %v", cleared)
	}
	wantIDs(t, s.Findings(at("2026-06-01")))
}

func TestUnconfirmedAdvanceReportsChanges(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	s.Add(f.rec("IN", c))
	if ch, cl := s.Advance(at("2026-01-20")); len(ch)+len(cl) != 0 {
		t.Fatalf("nothing due yet: %v %v", ids(ch), cl)
	}
	ch, _ := s.Advance(at("2026-02-05"))
	wantIDs(t, ch, "R2/IN/IN0001234")
	ch, _ = s.Advance(at("2026-02-20"))
	wantIDs(t, ch)
	ch, _ = s.Advance(at("2026-03-07"))
	if len(ch) != 1 || ch[0].Severity != Critical {
		t.Fatalf("escalation: %v", ch)
	}
	// A certificate added once the clock is past its deadlines is raised
	// by Add itself.
	ch, _ = s.Add(f.rec("IN", newCert("IN", "IN0000001", "BE", "2025-11-01")))
	if len(ch) != 1 || ch[0].ID != "R2/IN/IN0000001" || ch[0].Severity != Critical {
		t.Fatalf("late certificate: %v", ch)
	}
}

func TestUnconfirmedScope(t *testing.T) {
	// BE watches the certificates addressed to it, and its own.
	s := newState(t, "BE")
	f := feeds{}
	s.Add(f.rec("IN", newCert("IN", "IN0000001", "BE", "2026-01-05")))
	s.Add(f.rec("IN", newCert("IN", "IN0000002", "AE", "2026-01-05"))) // not BE's business
	s.Add(f.rec("BE", newCert("BE", "BE0000001", "IN", "2026-01-05")))
	wantIDs(t, s.Findings(at("2026-03-01")), "R2/BE/BE0000001", "R2/IN/IN0000001")
}

func TestUnconfirmedPartnerWindow(t *testing.T) {
	days := 15
	s := newState(t, "IN", func(c *Config) { c.Partners = map[string]PartnerConfig{"BE": {UnconfirmedDays: &days}} })
	f := feeds{}
	s.Add(f.rec("IN", newCert("IN", "IN0000001", "BE", "2026-01-05")))
	s.Add(f.rec("IN", newCert("IN", "IN0000002", "AE", "2026-01-05")))
	wantIDs(t, s.Findings(at("2026-01-21")), "R2/IN/IN0000001")
}

func TestConfirmedAfterExpiry(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05") // expires 2026-03-06
	s.Add(f.timed("IN", at("2026-01-05").Add(9*time.Hour), c))
	s.Add(f.timed("BE", at("2026-03-10"), confirm(c, "2026-02-01")))
	g := find(t, s.Findings(at("2026-03-11")), "R2/IN/IN0001234")
	if g.Severity != Warning || g.Numbers["days_after_expiry"] != "4" {
		t.Fatalf("%+v", g)
	}
	// A history imported after the fact (certificate entered after its
	// expiry) says nothing about when the confirmation came.
	s2 := newState(t, "IN")
	s2.Add(f.timed("IN", at("2026-06-01"), c))
	s2.Add(f.timed("BE", at("2026-06-02"), confirm(c, "2026-02-01")))
	wantIDs(t, s2.Findings(at("2026-06-03")))
}
