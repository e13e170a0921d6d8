package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

const (
	exp = protocol.FlowExport
	imp = protocol.FlowImport
)

var mirrorNow = at("2026-09-30")

func TestMirrorQuarterFlagged(t *testing.T) {
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := feeds{}
		addAll(s,
			f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
			f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
			f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "700.00", "70000.00", 7)),
			f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
		)
		fs := ofRule(s.Findings(mirrorNow), "R9")
		wantIDs(t, fs, "R9/IN/BE/2025-Q3/7102.31")
		g := fs[0]
		want := map[string]string{"exporter_carats": "1000.00", "importer_carats": "700.00", "carats_diff_pct": "30.00",
			"next_importer_carats": "700.00", "threshold_carats_pct": "20"}
		for k, v := range want {
			if g.Numbers[k] != v {
				t.Fatalf("self %s: %s = %q, want %q (%v)", self, k, g.Numbers[k], v, g.Numbers)
			}
		}
		if g.Partner != map[string]string{"IN": "BE", "BE": "IN"}[self] || len(g.Records) != 4 { // both quarters, both sides
			t.Fatalf("self %s: %+v", self, g)
		}
	}
}

func TestMirrorLagRetry(t *testing.T) {
	// A shipment exported in Q3 and imported in Q4 stays a finding in
	// both quarters; the lag is shown as what explains it.
	f := feeds{}
	q3 := []Record{
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 1)),
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.10", "50.00", "2000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.10", "50.00", "2000.00", 1)),
	}
	q4 := []Record{
		f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.10", "50.00", "2000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.10", "50.00", "2000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "1000.00", "100000.00", 1)),
	}
	s := newState(t, "IN")
	addAll(s, q3...)
	// BE's Q4 is not in: Q3 is flagged now, the lag not yet judged.
	g := find(t, ofRule(s.Findings(mirrorNow), "R9"), "R9/IN/BE/2025-Q3/7102.31")
	if g.Numbers["lag_carats_diff_pct"] != "" {
		t.Fatalf("%v", g.Numbers)
	}
	addAll(s, q4...)
	fs := ofRule(s.Findings(mirrorNow), "R9")
	wantIDs(t, fs, "R9/IN/BE/2025-Q3/7102.31", "R9/IN/BE/2025-Q4/7102.31")
	for _, g := range fs {
		for _, m := range []string{"carats", "value", "certificates"} {
			if g.Numbers["lag_"+m+"_diff_pct"] != "0.00" {
				t.Fatalf("%s: lag of %s: %v", g.ID, m, g.Numbers)
			}
		}
	}

	// Without the lag the findings are the same, without the lag figures.
	s2 := newState(t, "IN", func(c *Config) { c.MirrorLagRetry = false })
	addAll(s2, append(q3, q4...)...)
	fs = ofRule(s2.Findings(mirrorNow), "R9")
	wantIDs(t, fs, "R9/IN/BE/2025-Q3/7102.31", "R9/IN/BE/2025-Q4/7102.31")
	if fs[0].Numbers["lag_carats_diff_pct"] != "" {
		t.Fatalf("%v", fs[0].Numbers)
	}
}

func TestMirrorImportsAheadRetriesEarlierExports(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	addAll(s,
		f.rec("IN", trade("IN", "2025-Q2", exp, "BE", "7102.31", "400.00", "40000.00", 4)),
		f.rec("BE", trade("BE", "2025-Q2", imp, "IN", "7102.31", "100.00", "10000.00", 1)),
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "100.00", "10000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "400.00", "40000.00", 4)),
		f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "100.00", "10000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "100.00", "10000.00", 1)),
	)
	// Q2: exports ahead, BE's Q3 would explain it. Q3: imports ahead, IN's
	// Q2 would explain it. Both stay findings.
	fs := ofRule(s.Findings(mirrorNow), "R9")
	wantIDs(t, fs, "R9/IN/BE/2025-Q2/7102.31", "R9/IN/BE/2025-Q3/7102.31")
	if fs[0].Numbers["next_importer_carats"] != "400.00" || fs[1].Numbers["previous_exporter_carats"] != "400.00" ||
		fs[0].Numbers["lag_carats_carried_ct"] != "300.00" || fs[1].Numbers["lag_carats_diff_pct"] != "0.00" {
		t.Fatalf("%v\n%v", fs[0].Numbers, fs[1].Numbers)
	}
}

func TestMirrorWithinThresholdAndCounts(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "850.00", "108000.00", 9)), // CIF above FOB
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.10", "500.00", "50000.00", 10)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.10", "500.00", "50000.00", 5)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.10", "0.00", "0.00", 0)),
	)
	fs := ofRule(s.Findings(mirrorNow), "R9")
	wantIDs(t, fs, "R9/IN/BE/2025-Q3/7102.10")
	if fs[0].Numbers["certificates_diff_pct"] != "50.00" {
		t.Fatalf("%v", fs[0].Numbers)
	}
}

func TestMirrorOnlyPairsWithSelf(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("ZA", trade("ZA", "2025-Q3", exp, "AE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("AE", trade("AE", "2025-Q3", imp, "ZA", "7102.31", "10.00", "1000.00", 1)),
		f.rec("AE", trade("AE", "2025-Q4", imp, "ZA", "7102.31", "10.00", "1000.00", 1)),
	)
	wantIDs(t, ofRule(s.Findings(mirrorNow), "R9"))
	obs := newState(t, "")
	s.chains.Each(func(_ Pos, r *rec) { obs.Add(Record{Ref: RecordRef{Feed: r.feed.code, Seq: r.seq}, Body: r.body}) })
	wantIDs(t, ofRule(obs.Findings(mirrorNow), "R9"), "R9/ZA/AE/2025-Q3/7102.31")
}

// year adds four quarters of IN's exports to BE and BE's imports from IN.
func year(f feeds, y string, expCts, expUSD, impCts, impUSD string) []Record {
	var out []Record
	for _, q := range []string{"Q1", "Q2", "Q3", "Q4"} {
		out = append(out,
			f.rec("IN", trade("IN", y+"-"+q, exp, "BE", "7102.31", expCts, expUSD, 10)),
			f.rec("BE", trade("BE", y+"-"+q, imp, "IN", "7102.31", impCts, impUSD, 10)))
	}
	return out
}

func TestMirrorYear(t *testing.T) {
	cases := []struct {
		name           string
		impCts, impUSD string
		flagged        bool
	}{
		{"clean", "1000.00", "100000.00", false},
		{"carats 4 %", "960.00", "100000.00", false},
		{"carats 8 %", "920.00", "100000.00", true},
		{"value 8 %", "1000.00", "108000.00", false},
		{"value 12 %", "1000.00", "112000.00", true},
	}
	for _, tc := range cases {
		s := newState(t, "IN")
		f := feeds{}
		addAll(s, year(f, "2025", "1000.00", "100000.00", tc.impCts, tc.impUSD)...)
		// The lagged year (Q2 … next Q1) needs the importer's next Q1.
		addAll(s,
			f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
			f.rec("BE", trade("BE", "2026-Q1", imp, "IN", "7102.31", tc.impCts, tc.impUSD, 10)))
		fs := ofRule(s.Findings(mirrorNow), "R9")
		if tc.flagged {
			wantIDs(t, fs, "R9/IN/BE/2025/7102.31")
			if fs[0].Numbers["threshold_carats_pct"] != "5" || fs[0].Numbers["threshold_value_pct"] != "10" {
				t.Fatalf("%s: %v", tc.name, fs[0].Numbers)
			}
		} else {
			wantIDs(t, fs)
		}
	}
}

func TestMirrorYearNeedsFourQuarters(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	recs := year(f, "2025", "1000.00", "100000.00", "920.00", "100000.00")
	addAll(s, recs[:6]...) // three quarters
	wantIDs(t, ofRule(s.Findings(mirrorNow), "R9"))
}

func TestMirrorPartnerThreshold(t *testing.T) {
	p := Percent(40_00)
	s := newState(t, "IN", func(c *Config) { c.Partners = map[string]PartnerConfig{"BE": {MirrorQuarterlyPct: &p}} })
	f := feeds{}
	addAll(s,
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
	)
	wantIDs(t, ofRule(s.Findings(mirrorNow), "R9"))
}
