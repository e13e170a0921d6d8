package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

func TestEligibilityStatusChanges(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	c.Origin = []string{"CF"}
	addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2026-01-09")))
	wantIDs(t, s.Findings(early)) // every listed participant is active by default

	changed, _ := s.Add(f.rec("BE", statusChange("KP-2013-01", "CF", "suspended", "2013-05-23")))
	wantIDs(t, changed, "R5/IN/IN0001234")
	g := changed[0]
	if g.Severity != Critical || len(g.Records) != 2 || g.Records[1].Type != protocol.NoticeType {
		t.Fatalf("%+v", g)
	}
	_, cleared := s.Add(f.rec("BE", statusChange("KP-2024-07", "CF", "readmitted", "2024-11-15")))
	if len(cleared) != 1 {
		t.Fatalf("readmission cleared %v", cleared)
	}
	// A certificate issued while suspended stays flagged.
	old := newCert("IN", "IN0000001", "BE", "2020-03-01")
	old.Origin = []string{"CF"}
	s.Add(f.rec("IN", old))
	find(t, s.Findings(at("2020-03-02")), "R5/IN/IN0000001")
}

func TestEligibilityIssuerDestinationAndEU(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	s.Add(f.rec("IN", newCert("IN", "IN0000001", "BE", "2026-01-05")))
	s.Add(f.rec("VE", newCert("VE", "VE0000001", "BE", "2026-01-05")))
	s.Add(f.rec("BE", statusChange("KP-2008-11", "VE", "voluntarily_suspended", "2008-11-01")))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/VE/VE0000001")
	// A suspension of the EU reaches its member-state authorities.
	s.Add(f.rec("IN", statusChange("KP-X", "EU", "suspended", "2026-01-01")))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/IN/IN0000001", "R5/VE/VE0000001")
	// Withdrawing the notice restores eligibility.
	s.Add(f.rec("IN", &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: f["IN"]}, Reason: "sent in error"}))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/VE/VE0000001")
}

func TestEligibilityUnlistedOrigin(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0000001", "BE", "2026-01-05")
	c.Origin = []string{"BW", "XK"}
	s.Add(f.rec("IN", c))
	g := find(t, s.Findings(early), "R5/IN/IN0000001")
	if g.Severity != Critical {
		t.Fatalf("%+v", g)
	}
	m := newCert("IN", "IN0000002", "BE", "2026-01-05")
	m.Origin = []string{"MIXED"}
	s.Add(f.rec("IN", m))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/IN/IN0000001")
}

func TestEligibilityEnhancedVigilance(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	in := newCert("IN", "IN0000001", "BE", "2026-01-05")
	in.Origin = []string{"CF"}
	before := newCert("IN", "IN0000002", "BE", "2025-06-01")
	before.Origin = []string{"CF"}
	s.Add(f.rec("IN", in))
	s.Add(f.rec("IN", before))
	s.Add(f.rec("BE", vigilance("KP-V-1", "CF", "Bria zone", "2025-07-01", "")))
	g := find(t, s.Findings(early), "R5/IN/IN0000001")
	if g.Severity != Warning {
		t.Fatalf("vigilance severity %s", g.Severity)
	}
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/IN/IN0000001")
	// A closed window.
	s2 := newState(t, "IN")
	s2.Add(f.rec("IN", in))
	s2.Add(f.rec("BE", vigilance("KP-V-2", "CF", "", "2025-01-01", "2025-12-31")))
	wantIDs(t, ofRule(s2.Findings(early), "R5"))
}

func TestEligibilityPartnerFollowsTheConfirmingAuthority(t *testing.T) {
	// A certificate to the EU: the partner is the EU until BE confirms it.
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "EU", "2026-01-05")
	c.Origin = []string{"CF"}
	s.Add(f.rec("IN", c))
	s.Add(f.rec("IN", statusChange("KP-1", "CF", "suspended", "2025-01-01")))
	if g := find(t, s.Findings(early), "R5/IN/IN0001234"); g.Partner != "EU" {
		t.Fatalf("partner %q, want EU", g.Partner)
	}
	changed, _ := s.Add(f.rec("BE", confirm(c, "2026-01-09")))
	if g := find(t, changed, "R5/IN/IN0001234"); g.Partner != "BE" {
		t.Fatalf("partner %q, want BE", g.Partner)
	}
}
