package reconcile

import (
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

const veDecision = "Plenary 2011, Final Communiqué ¶6"

func removal(code, effective string, src protocol.MembershipSource) protocol.MembershipChange {
	return protocol.MembershipChange{Update: protocol.ParticipantUpdate{Version: 1, Participant: code,
		Change: protocol.ChangeRemoved, Effective: day(effective), Decision: veDecision}, Source: src}
}

// TestMembershipRemovedMidYear: VE removed on 2012-07-01. A certificate
// issued before still reconciles as before (no R5 finding); one issued
// after is flagged with a finding that names the decision and the record
// it came from. The order (list first or records first) does not matter.
func TestMembershipRemovedMidYear(t *testing.T) {
	m := protocol.NewMembership([]protocol.MembershipChange{
		removal("VE", "2012-07-01", protocol.MembershipSource{Kind: protocol.SourceRecord, Partner: "ZA", Seq: 7})})
	for _, listFirst := range []bool{true, false} {
		s := newState(t, "BE")
		f := feeds{}
		if listFirst {
			s.SetMembership(m)
		}
		before := newCert("VE", "VE0000001", "BE", "2012-06-30")
		after := newCert("VE", "VE0000002", "BE", "2012-07-01")
		addAll(s, f.rec("VE", before), f.rec("BE", confirm(before, "2012-07-02")), f.rec("VE", after), f.rec("BE", confirm(after, "2012-07-03")))
		if !listFirst {
			changed, _ := s.SetMembership(m)
			wantIDs(t, ofRule(changed, "R5"), "R5/VE/VE0000002")
		}
		fs := s.Findings(at("2012-07-04"))
		wantIDs(t, ofRule(fs, "R5"), "R5/VE/VE0000002")
		g := find(t, fs, "R5/VE/VE0000002")
		if g.Severity != Critical || !strings.Contains(g.Explanation, veDecision) || !strings.Contains(g.Explanation, "partner ZA's record seq 7") {
			t.Errorf("finding %+v does not name the decision", g)
		}
		if n := len(g.Records); n == 0 || g.Records[n-1] != (RecordRef{Feed: "ZA", Seq: 7, Type: protocol.ParticipantUpdateType}) {
			t.Errorf("finding records %+v do not cite the update", g.Records)
		}
	}
}

// TestMembershipBackToBuiltin: replacing the list by one without the
// change clears the finding it raised.
func TestMembershipBackToBuiltin(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	s.SetMembership(protocol.NewMembership([]protocol.MembershipChange{removal("VE", "2012-07-01", protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 1})}))
	c := newCert("VE", "VE0000002", "BE", "2013-01-01")
	s.Add(f.rec("VE", c))
	find(t, s.Findings(at("2013-01-02")), "R5/VE/VE0000002")
	if _, cleared := s.SetMembership(nil); len(cleared) != 1 {
		t.Errorf("back to the built-in list cleared %v", cleared)
	}
}

// TestMembershipJoinedLater: a participant that joins is not listed
// before its effective date and is after, and the EU's removal reaches
// its member-state authorities.
func TestMembershipJoinedLater(t *testing.T) {
	join := protocol.MembershipChange{Update: protocol.ParticipantUpdate{Version: 1, Participant: "SS", Change: protocol.ChangeJoined,
		Effective: day("2024-01-01"), Decision: "Plenary 2023 ¶3", Name: "South Sudan", Kind: protocol.KindState},
		Source: protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 1}}
	eu := removal("EU", "2025-01-01", protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 2})
	s := newState(t, "IN")
	f := feeds{}
	s.SetMembership(protocol.NewMembership([]protocol.MembershipChange{join, eu}))
	early := newCert("IN", "IN0000001", "BE", "2023-06-01")
	early.Origin = []string{"SS"}
	late := newCert("IN", "IN0000002", "BE", "2024-06-01")
	late.Origin = []string{"SS"}
	union := newCert("IN", "IN0000003", "BE", "2025-06-01")
	addAll(s, f.rec("IN", early), f.rec("IN", late), f.rec("IN", union))
	fs := ofRule(s.Findings(at("2025-06-02")), "R5")
	wantIDs(t, fs, "R5/IN/IN0000001", "R5/IN/IN0000003")
	if g := find(t, fs, "R5/IN/IN0000003"); !strings.Contains(g.Explanation, "destination BE was removed") {
		t.Errorf("EU removal: %s", g.Explanation)
	}
}

// BenchmarkMembershipEligibility adds 20,000 certificates from IN to BE
// (and their confirmations) with the built-in list, and with a list that
// changes IN, BE and their origins' history (each certificate then reads
// the list's entry as of its issue date), to compare R5's cost.
func BenchmarkMembershipEligibility(b *testing.B) {
	g := newGenerator(1, "IN", "BE", "2006-01-01", 20*365)
	f := feeds{}
	var rs []Record
	for i := 1; i <= 20000; i++ {
		c := g.cert(i)
		rs = append(rs, f.rec("IN", c), f.rec("BE", confirm(c, g.received(c))))
	}
	var changes []protocol.MembershipChange
	for _, code := range append([]string{"IN", "BE"}, protocol.BuiltinMembership().Codes()...) {
		changes = append(changes, protocol.MembershipChange{Update: protocol.ParticipantUpdate{Version: 1, Participant: code,
			Change: protocol.ChangeRenamed, Effective: day("2016-01-01"), Decision: "bench", Name: code + " renamed"},
			Source: protocol.MembershipSource{Kind: protocol.SourceFile, File: "bench.csv", Row: 1}})
	}
	for _, tc := range []struct {
		name string
		m    *protocol.Membership
	}{{"built-in", nil}, {"changed", protocol.NewMembership(changes)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				s := newState(b, "IN")
				s.SetMembership(tc.m)
				s.AddAll(rs)
				s.Findings(benchNow)
			}
		})
	}
}

// calendarPeriods returns the periods of code's obligation ob in c.
func calendarPeriods(c Calendar, code, ob string) []string {
	var out []string
	for _, pc := range c.Parties {
		for _, op := range pc.Obligations {
			if pc.Code == code && op.Obligation == ob {
				for _, ps := range op.Periods {
					out = append(out, ps.Period)
				}
			}
		}
	}
	return out
}

// TestMembershipCalendar: the submission calendar owes a participant the
// periods it was one in, by the list: SS, joining on 2024-05-01, owes
// trade statistics from 2024-Q2 (the quarter it joined in), not before;
// VE, removed on 2024-07-01, owes up to 2024-Q2 and nothing after, and
// its missing-statistics finding lists no later quarter. The list given
// after the records changes the finding at once.
func TestMembershipCalendar(t *testing.T) {
	m := protocol.NewMembership([]protocol.MembershipChange{
		removal("VE", "2024-07-01", protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 2}),
		{Update: protocol.ParticipantUpdate{Version: 1, Participant: "SS", Change: protocol.ChangeJoined, Effective: day("2024-05-01"),
			Decision: "Plenary 2023", Name: "South Sudan", Kind: protocol.KindState},
			Source: protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 3}},
	})
	s := newState(t, "IN", func(c *Config) { c.Calendar.Start = day("2024-01-01") })
	s.SetParties([]string{"SS", "VE"})
	s.Calendar(at("2025-06-01"))
	find(t, s.Findings(at("2025-06-01")), "R11/VE/trade-statistics/missing")
	changed, _ := s.SetMembership(m)
	g := find(t, changed, "R11/VE/trade-statistics/missing")
	if g.Numbers["missing"] != "2024-Q1 2024-Q2" {
		t.Errorf("VE owes %q after its removal, want 2024-Q1 2024-Q2", g.Numbers["missing"])
	}
	c := s.Calendar(at("2025-06-01"))
	if got := strings.Join(calendarPeriods(c, "VE", "trade_statistics"), " "); got != "2024-Q1 2024-Q2" {
		t.Errorf("VE's calendar %q, want 2024-Q1 2024-Q2", got)
	}
	if got := strings.Join(calendarPeriods(c, "SS", "trade_statistics"), " "); !strings.HasPrefix(got, "2024-Q2 2024-Q3") {
		t.Errorf("SS's calendar %q, want from 2024-Q2", got)
	}
	if g := find(t, s.Findings(at("2025-06-01")), "R11/SS/trade-statistics/missing"); strings.Contains(g.Numbers["missing"], "2024-Q1") {
		t.Errorf("SS owes a quarter before it joined: %q", g.Numbers["missing"])
	}
}

// TestMembershipEUMemberJoined: an EU member-state authority admitted by
// an update (HR, say, before the built-in list knew it) takes the EU's
// standing from the day it joined: an EU suspension flags its
// certificates issued after it joined.
func TestMembershipEUMemberJoined(t *testing.T) {
	src := protocol.MembershipSource{Kind: protocol.SourceFile, File: "u.csv", Row: 2}
	joined := protocol.MembershipChange{Update: protocol.ParticipantUpdate{Version: 1, Participant: "HR", Change: protocol.ChangeJoined,
		Effective: day("2025-01-01"), Decision: "Plenary 2024", Name: "Croatia", Kind: protocol.KindEUMemberState}, Source: src}
	euOut := protocol.MembershipChange{Update: protocol.ParticipantUpdate{Version: 1, Participant: "EU", Change: protocol.ChangeSuspended,
		Effective: day("2025-06-01"), Decision: "Plenary 2025"}, Source: src}
	if _, ok := protocol.LookupParticipant("HR"); ok {
		t.Skip("HR is in the built-in list: pick a member state it lacks")
	}
	s := newState(t, "IN")
	f := feeds{}
	s.SetMembership(protocol.NewMembership([]protocol.MembershipChange{joined, euOut}))
	s.Add(f.rec("HR", newCert("HR", "HR0000001", "IN", "2025-07-01")))
	s.Add(f.rec("HR", newCert("HR", "HR0000002", "IN", "2025-03-01")))
	wantIDs(t, ofRule(s.Findings(at("2025-07-02")), "R5"), "R5/HR/HR0000001")
}
