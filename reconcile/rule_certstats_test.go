package reconcile

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// quarterOfCerts adds n certificates from IN to BE issued in January 2026,
// each one 7102.31 line of 100 ct at USD 150/ct, confirmed in February when
// confirm is set, and returns the feeds.
func quarterOfCerts(s *State, n int, confirmed bool) feeds {
	f := feeds{}
	for i := range n {
		c := newCert("IN", fmt.Sprintf("IN%07d", i+1), "BE", "2026-01-10", line("7102.31", "100.00", "15000.00"))
		s.Add(f.rec("IN", c))
		if confirmed {
			s.Add(f.rec("BE", confirm(c, "2026-02-01")))
		}
	}
	return f
}

func TestCertStatsExports(t *testing.T) {
	s := newState(t, "IN")
	f := quarterOfCerts(s, 3, true)
	s.Add(f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "300.00", "45000.00", 3)))
	wantIDs(t, ofRule(s.Findings(early), "R10"))
	// A restatement 2 % off.
	s.Add(f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "306.00", "45000.00", 3)))
	fs := ofRule(s.Findings(early), "R10")
	wantIDs(t, fs, "R10/IN/export/BE/2026-Q1/7102.31")
	if n := fs[0].Numbers; n["statistics_carats"] != "306.00" || n["certificates_carats"] != "300.00" || n["carats_residual_pct"] != "1.96" {
		t.Fatalf("%v", n)
	}
	// A certificate with no statistics row, once the reporter has submitted
	// the quarter, is a residual of 100 %.
	s.Add(f.rec("IN", newCert("IN", "IN0000099", "BE", "2026-02-10", line("7102.10", "10.00", "1000.00"))))
	wantIDs(t, ofRule(s.Findings(early), "R10"), "R10/IN/export/BE/2026-Q1/7102.10", "R10/IN/export/BE/2026-Q1/7102.31")
}

func TestCertStatsImportsByReceivedQuarter(t *testing.T) {
	s := newState(t, "IN")
	f := quarterOfCerts(s, 2, false)
	// BE reports the imports in Q1; one certificate was received in April.
	c1 := protocolCert(s.lookupSlot("IN", "IN0000001").certs[0].cert())
	c2 := protocolCert(s.lookupSlot("IN", "IN0000002").certs[0].cert())
	s.Add(f.rec("BE", confirm(c1, "2026-03-20")))
	s.Add(f.rec("BE", confirm(c2, "2026-04-02")))
	s.Add(f.rec("BE", trade("BE", "2026-Q1", imp, "IN", "7102.31", "100.00", "15000.00", 1)))
	s.Add(f.rec("BE", trade("BE", "2026-Q2", imp, "IN", "7102.31", "100.00", "15000.00", 1)))
	wantIDs(t, ofRule(s.Findings(early), "R10"))
	// Reported all in Q1: both quarters disagree.
	s.Add(f.rec("BE", trade("BE", "2026-Q1", imp, "IN", "7102.31", "200.00", "30000.00", 2)))
	wantIDs(t, ofRule(s.Findings(early), "R10"), "R10/BE/import/IN/2026-Q1/7102.31")
}

func TestCertStatsOnlyWithTheCertificates(t *testing.T) {
	s := newState(t, "IN")
	f := quarterOfCerts(s, 1, true)
	// Statistics from before IN's certificates start: nothing to compare.
	s.Add(f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "999.00", "99900.00", 9)))
	// ZA's certificates are not here.
	s.Add(f.rec("BE", trade("BE", "2026-Q1", imp, "ZA", "7102.31", "999.00", "99900.00", 9)))
	s.Add(f.rec("BE", trade("BE", "2026-Q1", imp, "IN", "7102.31", "100.00", "15000.00", 1)))
	wantIDs(t, ofRule(s.Findings(early), "R10"))
	// Without its row from IN, BE's Q1 would not add up.
	s.Add(f.rec("BE", &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: f["BE"]}, Reason: "test"}))
	wantIDs(t, ofRule(s.Findings(early), "R10"), "R10/BE/import/IN/2026-Q1/7102.31")
}

func TestPeriodChange(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "1400.00", "140000.00", 14)),
		f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.31", "2200.00", "150000.00", 22)),
	)
	fs := ofRule(s.Findings(at("2026-04-01")), "R11")
	wantIDs(t, fs, "R11/IN/export/BE/2026-Q1/7102.31")
	g := fs[0]
	if g.Severity != Info || g.Numbers["carats_change_pct"] != "57.14" || g.Numbers["value_change_pct"] != "7.14" || g.Partner != "BE" {
		t.Fatalf("%+v", g)
	}
	// A flow that stops is a change of -100 %.
	s.Add(f.rec("IN", trade("IN", "2026-Q2", exp, "BE", "7102.10", "10.00", "100.00", 1)))
	wantIDs(t, ofRule(s.Findings(at("2026-04-01")), "R11"), "R11/IN/export/BE/2026-Q1/7102.31", "R11/IN/export/BE/2026-Q2/7102.31")
}

func TestMissingStatistics(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("BE", trade("BE", "2025-Q2", imp, "IN", "7102.31", "100.00", "10000.00", 1)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "100.00", "10000.00", 1)),
	)
	// 2025-Q4 is due 2026-03-01, 2026-Q1 on 2026-06-01.
	const be = "R11/BE/trade-statistics/missing"
	fs := ofRule(s.Findings(at("2026-05-31")), "R11")
	wantIDs(t, fs, be)
	if g := fs[0]; g.Severity != Warning || g.Partner != "BE" || g.Numbers["oldest_due"] != "2025-12-01" ||
		g.Numbers["missing"] != "2025-Q3" || !g.Since.Equal(at("2025-12-01")) {
		t.Fatalf("%+v", g)
	}
	// A second missing quarter changes the one finding, not a second one.
	ch, _ := s.Advance(at("2026-06-01"))
	wantIDs(t, ch, be)
	if g := ch[0]; g.Numbers["missing"] != "2025-Q3 2026-Q1" || g.Numbers["missing_count"] != "2" || !g.Since.Equal(at("2025-12-01")) {
		t.Fatalf("%+v", g)
	}
	s.Add(f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "100.00", "10000.00", 1)))
	if g := find(t, s.Findings(at("2026-06-01")), be); g.Numbers["missing"] != "2026-Q1" || !g.Since.Equal(at("2026-06-01")) {
		t.Fatalf("%+v", g)
	}
	// An earlier history makes earlier gaps visible.
	s.Add(f.rec("BE", trade("BE", "2024-Q4", imp, "IN", "7102.31", "100.00", "10000.00", 1)))
	if g := find(t, s.Findings(at("2026-06-01")), be); g.Numbers["missing"] != "2025-Q1 2026-Q1" {
		t.Fatalf("%+v", g)
	}
	// Back in time, nothing was due yet.
	wantIDs(t, ofRule(s.Findings(at("2025-02-01")), "R11"))
	// The node's own gap has no partner.
	s.Add(f.rec("IN", trade("IN", "2025-Q1", exp, "BE", "7102.31", "100.00", "10000.00", 1)))
	g := find(t, s.Findings(at("2025-09-01")), "R11/IN/trade-statistics/missing")
	if g.Partner != "" || g.Numbers["missing"] != "2025-Q2" {
		t.Fatalf("own gap %+v", g)
	}
}

func TestDraftQueryIsAValidRecord(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
		f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "700.00", "70000.00", 7)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "2700.00", "270000.00", 27)),
		f.rec("BE", trade("BE", "2026-Q2", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
		f.rec("BW", production("BW", "2025-H2", "100.00", "10000.00")),
	)
	c := newCert("BW", "BW0000001", "IN", "2025-08-01", line("7102.31", "500.00", "50000.00"))
	s.Add(f.rec("BW", c))
	now := at("2026-09-30")
	fs := s.Findings(now)
	drafted := 0
	for _, g := range fs {
		q, ok := s.DraftQuery(g.ID, "IN-AQ-2026-0001", now)
		if !ok {
			continue
		}
		drafted++
		body, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseAnomalyQuery(body); err != nil {
			t.Fatalf("%s: drafted query does not validate: %v\n%s", g.ID, err, body)
		}
		if q.Finding != g.ID || q.Rule != g.Rule || q.Due != day("2026-10-30") {
			t.Fatalf("%+v", q)
		}
	}
	if drafted < 4 {
		t.Fatalf("drafted %d queries from\n%s", drafted, describe(fs))
	}
	if _, ok := s.DraftQuery("R2/none", "X", now); ok {
		t.Fatal("draft for an unknown finding")
	}
}

func TestProductionVsExports(t *testing.T) {
	s := newState(t, "BW")
	f := feeds{}
	own := func(n, carats string) *Record {
		c := newCert("BW", n, "BE", "2025-03-01", line("7102.31", carats, "100000.00"))
		r := f.rec("BW", c)
		return &r
	}
	s.Add(f.rec("BW", production("BW", "2025-H1", "1000.00", "170000.00")))
	s.Add(*own("BW0000001", "900.00"))
	s.Add(*own("BW0000002", "600.00")) // 1500: production plus 50 %
	mixed := newCert("BW", "BW0000003", "BE", "2025-03-01", line("7102.31", "900.00", "100000.00"))
	mixed.Origin = []string{"MIXED"}
	s.Add(f.rec("BW", mixed))
	wantIDs(t, ofRule(s.Findings(early), "R12"))
	s.Add(*own("BW0000004", "0.01"))
	fs := ofRule(s.Findings(early), "R12")
	wantIDs(t, fs, "R12/BW/2025-H1")
	if n := fs[0].Numbers; n["exports_carats"] != "1500.01" || n["limit_carats"] != "1500.00" || n["certificates"] != "3" {
		t.Fatalf("%v", n)
	}
}
