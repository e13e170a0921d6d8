package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// early is a clock before any confirmation window closes in these tests.
var early = at("2026-01-20")

func TestMatchClean(t *testing.T) {
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		f := feeds{}
		c := newCert("IN", "IN0001234", "BE", "2026-01-05")
		addAll(s, f.rec("IN", c), f.rec("IN", preNotify(c, "2026-01-06")), f.rec("BE", confirm(c, "2026-01-09")))
		wantIDs(t, s.Findings(early))
	}
}

func TestMatchCaratTolerance(t *testing.T) {
	cases := []struct {
		received string
		fires    bool
	}{
		{"1520.50", false},
		{"1520.49", false}, // 0.01 ct
		{"1519.75", false}, // 0.75 ct: within 0.05 % of 1520.50 (0.76 ct)
		{"1519.70", true},  // 0.80 ct
		{"1500.00", true},
		{"1540.00", true},
	}
	for _, tc := range cases {
		s := newState(t, "IN")
		f := feeds{}
		c := newCert("IN", "IN0001234", "BE", "2026-01-05")
		ic := confirm(c, "2026-01-09")
		ic.CaratsReceived = ct(tc.received)
		addAll(s, f.rec("IN", c), f.rec("BE", ic))
		got := ofRule(s.Findings(early), "R1")
		if (len(got) == 1) != tc.fires {
			t.Fatalf("received %s: findings %v, want fired=%v", tc.received, ids(got), tc.fires)
		}
		if tc.fires {
			g := got[0]
			if g.ID != "R1/IN/IN0001234" || g.Severity != Critical || g.Partner != "BE" || g.Numbers["confirmed_carats"] != tc.received ||
				g.Numbers["certificate_carats"] != "1520.50" || g.Numbers["carats_tolerance"] != "0.76" || len(g.Records) != 2 {
				t.Fatalf("finding %+v", g)
			}
		}
	}
}

func TestMatchSmallParcelAbsoluteTolerance(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0000007", "BE", "2026-01-05", line("7102.31", "2.00", "400.00"))
	ic := confirm(c, "2026-01-09")
	ic.CaratsReceived = ct("1.99") // 0.01 ct is 0.5 %: the absolute tolerance applies
	addAll(s, f.rec("IN", c), f.rec("BE", ic))
	wantIDs(t, s.Findings(early))
}

func TestMatchPartnerTolerance(t *testing.T) {
	pct := Percent(2_00)
	s := newState(t, "IN", func(c *Config) { c.Partners = map[string]PartnerConfig{"BE": {CaratTolerancePct: &pct}} })
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	ic := confirm(c, "2026-01-09")
	ic.CaratsReceived = ct("1500.00") // 1.35 %: within BE's 2 %
	addAll(s, f.rec("IN", c), f.rec("BE", ic))
	wantIDs(t, s.Findings(early))
}

func TestMatchOtherDiscrepancies(t *testing.T) {
	cases := map[string]func(*protocol.ImportConfirmation){
		"parcels":  func(ic *protocol.ImportConfirmation) { ic.ParcelsReceived = 2 },
		"importer": func(ic *protocol.ImportConfirmation) { ic.Importer.Licence = "BE-9999" },
		"exporter": func(ic *protocol.ImportConfirmation) { ic.Exporter.Country = "AE" },
		"seals":    func(ic *protocol.ImportConfirmation) { ic.SealsIntact = false; ic.Remarks = "seal 3 broken" },
		"contents": func(ic *protocol.ImportConfirmation) { ic.ContentsMatch = false; ic.Remarks = "one parcel short" },
	}
	for name, mod := range cases {
		s := newState(t, "BE")
		f := feeds{}
		c := newCert("IN", "IN0001234", "BE", "2026-01-05")
		ic := confirm(c, "2026-01-09")
		mod(ic)
		addAll(s, f.rec("IN", c), f.rec("BE", ic))
		got := find(t, s.Findings(early), "R1/IN/IN0001234")
		if got.Partner != "IN" {
			t.Errorf("%s: partner %q, want IN (seen from BE)", name, got.Partner)
		}
	}
}

func TestMatchNamesIgnoreCaseAndSpaces(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	ic := confirm(c, "2026-01-09")
	ic.Importer.Name = "ANTWERP  Diamond traders NV"
	addAll(s, f.rec("IN", c), f.rec("BE", ic))
	wantIDs(t, s.Findings(early))
}

func TestMatchConfirmingAuthority(t *testing.T) {
	// The EU is one participant trading through its member-state
	// authorities: BE may confirm a certificate addressed to the EU.
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "EU", "2026-01-05")
	addAll(s, f.rec("IN", c), f.rec("BE", confirm(c, "2026-01-09")))
	wantIDs(t, s.Findings(early))

	// AE confirming a certificate addressed to BE is a mismatch.
	c2 := newCert("IN", "IN0001235", "BE", "2026-01-05")
	s.Add(f.rec("AE", confirm(c2, "2026-01-09")))
	s.Add(f.rec("IN", c2))
	got := find(t, s.Findings(early), "R1/IN/IN0001235")
	if got.Partner != "AE" {
		t.Fatalf("partner %q, want AE, the confirming authority", got.Partner)
	}
}

func TestMatchPreNotification(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	p := preNotify(c, "2026-01-06")
	p.ValueUSD = usd("200000.00")
	addAll(s, f.rec("IN", c), f.rec("IN", p))
	got := find(t, s.Findings(early), "R1/IN/IN0001234/pre-notification")
	if got.Numbers["notified_value_usd"] != "200000.00" || got.Numbers["certificate_value_usd"] != "228075.00" {
		t.Fatalf("numbers %v", got.Numbers)
	}
}

func TestMatchCorrectionClears(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	bad := confirm(c, "2026-01-09")
	bad.CaratsReceived = ct("1250.50")
	s.Add(f.rec("IN", c))
	changed, _ := s.Add(f.rec("BE", bad))
	wantIDs(t, changed, "R1/IN/IN0001234")
	fixed := confirm(c, "2026-01-09")
	fixed.Supersedes = &protocol.Supersedes{Seq: f["BE"]}
	changed, cleared := s.Add(f.rec("BE", fixed))
	if len(changed) != 0 || len(cleared) != 1 || cleared[0] != "R1/IN/IN0001234" {
		t.Fatalf("correction: changed %v, cleared %v", ids(changed), cleared)
	}
	wantIDs(t, s.Findings(early))
}
