package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// euReportedAsUnion is issue 14's case: BE reports its exports to IN by
// member state, IN reports its imports from BE in Q1 and from "EU" in Q2;
// the certificates behind them are BE's, confirmed by IN.
func euReportedAsUnion(f feeds, impQ2 string) []Record {
	c1 := newCert("BE", "BE0000001", "IN", "2023-02-10", line("7102.31", "100.00", "15000.00"))
	c2 := newCert("BE", "BE0000002", "IN", "2023-05-10", line("7102.31", "100.00", "15000.00"))
	return []Record{
		f.rec("BE", c1), f.rec("IN", confirm(c1, "2023-02-20")),
		f.rec("BE", c2), f.rec("IN", confirm(c2, "2023-05-20")),
		f.rec("BE", trade("BE", "2023-Q1", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
		f.rec("BE", trade("BE", "2023-Q2", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
		f.rec("IN", trade("IN", "2023-Q1", imp, "BE", "7102.31", "100.00", "15000.00", 1)),
		f.rec("IN", trade("IN", "2023-Q2", imp, "EU", "7102.31", impQ2, "15000.00", 1)),
	}
}

// TestEUIsOneParticipantInStatistics: a partner that reports "EU" for
// goods a member-state authority reported raises nothing in R9, R10 or
// R11, seen from either side; a real gap is still found, at the Union's
// level.
func TestEUIsOneParticipantInStatistics(t *testing.T) {
	now := at("2023-10-15") // before Q3 is due
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		addAll(s, euReportedAsUnion(feeds{}, "100.00")...)
		fs := s.Findings(now)
		for _, r := range []string{"R9", "R10", "R11"} {
			wantIDs(t, Select(ofRule(fs, r), Query{Severity: Info}))
		}
		s = newState(t, self)
		addAll(s, euReportedAsUnion(feeds{}, "40.00")...)
		fs = s.Findings(now)
		wantIDs(t, ofRule(fs, "R9"), "R9/EU/IN/2023-Q2/7102.31")
		wantIDs(t, ofRule(fs, "R10"), "R10/IN/import/EU/2023-Q2/7102.31")
		wantIDs(t, ofRule(fs, "R11"), "R11/IN/import/EU/2023-Q2/7102.31")
	}
}

// TestEUCertificatesAreTheirAuthorities: a certificate issued as "EU" and
// recorded by a member-state authority is that authority's own: its node
// follows up its confirmation (R2) and can tell an unknown number (R3).
func TestEUCertificatesAreTheirAuthorities(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	c := newCert("EU", "EU0000001", "IN", "2023-05-10", line("7102.31", "100.00", "15000.00"))
	s.Add(f.rec("BE", c))
	forged := newCert("EU", "EU0000999", "IN", "2023-05-12", line("7102.31", "100.00", "15000.00"))
	s.Add(f.rec("IN", confirm(forged, "2023-05-20")))
	fs := s.Findings(at("2023-07-01"))
	wantIDs(t, ofRule(fs, "R2"), "R2/EU/EU0000001")
	wantIDs(t, ofRule(fs, "R3"), "R3/EU/EU0000999")
}

// TestEULevelsAnyOrder: which level a trade with the EU is compared at
// depends on the records, not on the order they came in.
func TestEULevelsAnyOrder(t *testing.T) {
	now := at("2023-10-15")
	rng := rand.New(rand.NewPCG(5, 14))
	for _, gap := range []string{"100.00", "40.00"} {
		recs := euReportedAsUnion(feeds{}, gap)
		var want []Finding
		for round := range 12 {
			order := slices.Clone(recs)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			s := newState(t, "BE")
			if round%2 == 0 {
				addAll(s, order...)
			} else {
				s.AddAll(order)
			}
			got := s.Findings(now)
			if round == 0 {
				want = got
				continue
			}
			if !slices.EqualFunc(got, want, func(a, b Finding) bool { return a.equal(&b) }) {
				t.Fatalf("gap %s, round %d:\n%s\nwant\n%s", gap, round, describe(got), describe(want))
			}
		}
	}
}

// TestEUCertificatesAddressedToTheUnion: IN's certificates addressed to
// "EU" and confirmed by BE are IN's exports to the Union whichever code IN
// reports them under, and BE's imports.
func TestEUCertificatesAddressedToTheUnion(t *testing.T) {
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := feeds{}
		c := newCert("IN", "IN0000001", "EU", "2023-05-10", line("7102.31", "100.00", "15000.00"))
		addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2023-05-20")),
			f.rec("IN", trade("IN", "2023-Q2", exp, "BE", "7102.31", "100.00", "15000.00", 1)),
			f.rec("BE", trade("BE", "2023-Q2", imp, "IN", "7102.31", "100.00", "15000.00", 1)))
		wantIDs(t, ofRule(s.Findings(at("2023-07-01")), "R10"))
		s.Add(f.rec("IN", trade("IN", "2023-Q2", exp, "BE", "7102.31", "150.00", "15000.00", 1)))
		wantIDs(t, ofRule(s.Findings(at("2023-07-01")), "R10"), "R10/IN/export/EU/2023-Q2/7102.31")
	}
}

// TestEUSubmissionCoversItsAuthorities: statistics submitted at the
// Union's level count for its member authorities' quarter and the
// reverse, so a switch of level is not a missing submission (R11).
func TestEUSubmissionCoversItsAuthorities(t *testing.T) {
	f := feeds{}
	recs := []Record{
		f.rec("BE", trade("BE", "2023-Q1", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
		f.rec("EU", trade("EU", "2023-Q2", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
		f.rec("EU", trade("EU", "2023-Q3", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
		f.rec("BE", trade("BE", "2023-Q4", exp, "IN", "7102.31", "100.00", "15000.00", 1)),
	}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}} {
		s := newState(t, "BE")
		for _, i := range order {
			s.Add(recs[i])
		}
		fs := s.Findings(at("2024-03-15")) // 2023-Q4 due on 1 March
		wantIDs(t, Select(ofRule(fs, "R11"), Query{Severity: Warning}))
	}
}
