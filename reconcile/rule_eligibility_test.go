package reconcile

import (
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// noticeList is the participant list a node builds from status-change
// notices whose authors it trusts for the list (node/membership.go).
func noticeList(t *testing.T, recs ...Record) *protocol.Membership {
	t.Helper()
	var changes []protocol.MembershipChange
	for _, r := range recs {
		u, ok := r.Body.(*protocol.Notice).MembershipUpdate()
		if !ok {
			t.Fatalf("%+v is no status change", r.Body)
		}
		changes = append(changes, protocol.MembershipChange{Update: u,
			Source: protocol.MembershipSource{Kind: protocol.SourceNotice, Partner: r.Ref.Feed, Seq: r.Ref.Seq}})
	}
	return protocol.NewMembership(changes)
}

// TestEligibilityStatusChanges: a participant_status_change notice by
// itself changes no one's eligibility (from any partner, trusted or not:
// the node decides trust and turns a trusted one into the list); the list
// it amounts to does, as of each certificate's date, citing the notice.
func TestEligibilityStatusChanges(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	c.Origin = []string{"CF"}
	addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2026-01-09")))
	wantIDs(t, s.Findings(early)) // every listed participant is active by default

	suspend := f.rec("BE", statusChange("KP-2013-01", "CF", "suspended", "2013-05-23"))
	if changed, _ := s.Add(suspend); len(ofRule(changed, "R5")) != 0 {
		t.Fatalf("a notice by itself changed eligibility: %v", changed)
	}
	changed, _ := s.SetMembership(noticeList(t, suspend))
	wantIDs(t, changed, "R5/IN/IN0001234")
	g := changed[0]
	if g.Severity != Critical || len(g.Records) != 2 || g.Records[1] != (RecordRef{Feed: "BE", Seq: suspend.Ref.Seq, Type: protocol.NoticeType}) ||
		!strings.Contains(g.Explanation, "origin CF was suspended on 2026-01-05 (notice KP-2013-01: suspended; partner BE's notice seq 2)") {
		t.Fatalf("%+v", g)
	}
	readmit := f.rec("BE", statusChange("KP-2024-07", "CF", "readmitted", "2024-11-15"))
	s.Add(readmit)
	if _, cleared := s.SetMembership(noticeList(t, suspend, readmit)); len(cleared) != 1 {
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
	ve := f.rec("BE", statusChange("KP-2008-11", "VE", "voluntarily_suspended", "2008-11-01"))
	s.SetMembership(noticeList(t, ve))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/VE/VE0000001")
	// A suspension of the EU reaches its member-state authorities.
	eu := f.rec("IN", statusChange("KP-X", "EU", "suspended", "2026-01-01"))
	s.SetMembership(noticeList(t, ve, eu))
	wantIDs(t, ofRule(s.Findings(early), "R5"), "R5/IN/IN0000001", "R5/VE/VE0000001")
	// The list without it (the notice withdrawn) restores eligibility.
	s.SetMembership(noticeList(t, ve))
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
	s.SetMembership(noticeList(t, f.rec("IN", statusChange("KP-1", "CF", "suspended", "2025-01-01"))))
	if g := find(t, s.Findings(early), "R5/IN/IN0001234"); g.Partner != "EU" {
		t.Fatalf("partner %q, want EU", g.Partner)
	}
	changed, _ := s.Add(f.rec("BE", confirm(c, "2026-01-09")))
	if g := find(t, changed, "R5/IN/IN0001234"); g.Partner != "BE" {
		t.Fatalf("partner %q, want BE", g.Partner)
	}
}
