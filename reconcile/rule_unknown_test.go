package reconcile

import (
	"testing"
)

func TestUnknownCertificate(t *testing.T) {
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := feeds{}
		real := newCert("IN", "IN0001234", "BE", "2026-01-05")
		s.Add(f.rec("IN", real))
		s.Add(f.rec("BE", confirm(real, "2026-01-09")))
		ghost := newCert("IN", "IN0009999", "BE", "2026-01-06")
		changed, _ := s.Add(f.rec("BE", confirm(ghost, "2026-01-10")))
		wantIDs(t, changed, "R3/IN/IN0009999")
		g := changed[0]
		wantPartner := map[string]string{"IN": "BE", "BE": "IN"}[self]
		if g.Severity != Critical || g.Partner != wantPartner || g.Numbers["cited_by"] != "BE" || g.Numbers["cited_carats"] != "1520.50" {
			t.Fatalf("self %s: %+v", self, g)
		}
		// The certificate turning up (late sync) clears it.
		_, cleared := s.Add(f.rec("IN", ghost))
		if len(cleared) != 1 || cleared[0] != "R3/IN/IN0009999" {
			t.Fatalf("self %s: cleared %v", self, cleared)
		}
	}
}

func TestUnknownNeedsTheIssuersHistory(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	// ZA shares no certificates with BE: BE cannot tell.
	s.Add(f.rec("BE", confirm(newCert("ZA", "ZA0000001", "BE", "2026-01-05"), "2026-01-09")))
	// IN shares from 2026-01-05 on: an older confirmation may predate it.
	s.Add(f.rec("IN", newCert("IN", "IN0001234", "BE", "2026-01-05")))
	s.Add(f.rec("BE", confirm(newCert("IN", "IN0000777", "BE", "2025-12-01"), "2025-12-20")))
	wantIDs(t, s.Findings(early))
	// Once IN's history reaches back, it can.
	s.Add(f.rec("IN", newCert("IN", "IN0000700", "BE", "2025-11-20")))
	wantIDs(t, ofRule(s.Findings(early), "R3"), "R3/IN/IN0000777")
}

func TestUnknownPreNotification(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	s.Add(f.rec("IN", newCert("IN", "IN0001234", "BE", "2026-01-05")))
	s.Add(f.rec("IN", preNotify(newCert("IN", "IN0001300", "BE", "2026-01-07"), "2026-01-08")))
	wantIDs(t, s.Findings(early), "R3/IN/IN0001300")
}

func TestUnknownNumbering(t *testing.T) {
	s := newState(t, "BE", func(c *Config) {
		c.Numbering = map[string]Numbering{
			"IN": {Pattern: `IN(?P<year>\d{2})(?P<serial>\d{5})`, Ranges: []NumberRange{{Year: 2026, First: 1, Last: 2000}}},
			"AE": {Ranges: []NumberRange{{Year: 2025, First: 500, Last: 900}, {Year: 2026, First: 1000, Last: 1999}}},
		}
	})
	f := feeds{}
	in := func(number string) *Record {
		r := f.rec("BE", confirm(newCert("IN", number, "BE", "2026-01-05"), "2026-01-09"))
		return &r
	}
	ae := func(number, received string) *Record {
		r := f.rec("BE", confirm(newCert("AE", number, "BE", "2026-01-05"), received))
		return &r
	}
	for _, r := range []*Record{in("IN2600123"), ae("AE-1500", "2026-02-01"), ae("AE-0800", "2026-01-03")} {
		s.Add(*r)
	}
	wantIDs(t, ofRule(s.Findings(early), "R3"))
	s.Add(*in("IN2605000"))             // serial out of range
	s.Add(*in("IN-26-00123"))           // does not match the pattern
	s.Add(*ae("AE-2500", "2026-03-01")) // beyond 2026's range
	wantIDs(t, ofRule(s.Findings(early), "R3"), "R3/AE/AE-2500", "R3/IN/IN-26-00123", "R3/IN/IN2605000")
}
