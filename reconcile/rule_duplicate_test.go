package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

func TestDuplicateIntoTwoParticipants(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2026-01-09")))
	wantIDs(t, s.Findings(early))
	s.Add(f.rec("AE", confirm(c, "2026-01-11")))
	g := find(t, s.Findings(early), "R4/IN/IN0001234")
	if g.Severity != Critical || g.Numbers["confirmations"] != "2" {
		t.Fatalf("%+v", g)
	}
}

func TestDuplicateImportedTwice(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2026-01-09")))
	s.Add(f.rec("BE", confirm(c, "2026-01-09"))) // an identical copy is not a duplicate
	wantIDs(t, s.Findings(early))
	s.Add(f.rec("BE", confirm(c, "2026-02-20"))) // a second import of the same certificate
	find(t, s.Findings(early), "R4/IN/IN0001234")
}

func TestDuplicateWithDifferentData(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	other := newCert("IN", "IN0001234", "BE", "2026-01-07", line("7102.10", "99.00", "9900.00"))
	addAll(s, f.rec("IN", c), f.rec("IN", other))
	find(t, s.Findings(early), "R4/IN/IN0001234")
	// A correction that supersedes is not a duplicate.
	s2 := newState(t, "BE")
	fixed := *other
	fixed.Supersedes = &protocol.Supersedes{Seq: 1}
	addAll(s2, Record{Ref: RecordRef{Feed: "IN", Seq: 1}, Body: c}, Record{Ref: RecordRef{Feed: "IN", Seq: 2}, Body: &fixed})
	wantIDs(t, ofRule(s2.Findings(early), "R4"))
}
