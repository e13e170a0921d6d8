package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestForeignAuthorIsEvidenceOnly replays the attack of issue 13: IN's
// node writes a certificate with issuer BE and statistics with reporter
// BE. BE's node raises one R13 finding per record naming IN and BE, and
// nothing else: the certificate is not BE's export awaiting confirmation
// (R2), the statistics are not BE's figures to mirror (R9) or check
// against certificates (R10).
func TestForeignAuthorIsEvidenceOnly(t *testing.T) {
	s := newState(t, "BE")
	f := feeds{}
	cert := newCert("BE", "BE0000042", "AE", "2026-01-05", line("7102.31", "100.00", "19200.00"))
	stats := trade("BE", "2026-Q1", exp, "AE", "7102.31", "5000.00", "900000.00", 40)
	addAll(s, f.rec("IN", cert), f.rec("IN", stats))
	late := at("2026-09-30")
	wantIDs(t, s.Findings(late), "R13/IN/1/0", "R13/IN/2/0")
	g := find(t, s.Findings(late), "R13/IN/1/0")
	if g.Severity != Critical || g.Partner != "IN" || g.Numbers["claimed_author"] != "BE" || g.Numbers["field"] != "issuer" ||
		len(g.Records) != 1 || g.Records[0].Key != "certificate/BE/BE0000042" {
		t.Fatalf("%+v", g)
	}
	if n, _ := s.Len(); n != 0 {
		t.Fatalf("%d live records, want 0: forged records are evidence only", n)
	}
}

// TestForeignAuthorSupersedesNothing checks that a forged record that
// names an earlier record of its feed in "supersedes" leaves it in place.
func TestForeignAuthorSupersedesNothing(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	c := newCert("IN", "IN0001234", "BE", "2026-01-05")
	forged := newCert("BE", "BE0000001", "IN", "2026-01-05")
	forged.Supersedes = &protocol.Supersedes{Seq: 1}
	addAll(s, f.rec("IN", c), f.rec("IN", forged))
	find(t, s.Findings(at("2026-09-30")), "R2/IN/IN0001234") // still unconfirmed
	find(t, s.Findings(at("2026-09-30")), "R13/IN/2/0")
}

// TestEUDelegationIsNotForeign checks that the EU and its member-state
// authorities write for each other, and that two member states do not.
func TestEUDelegationIsNotForeign(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addAll(s,
		f.rec("BE", trade("EU", "2026-Q1", imp, "IN", "7102.31", "5.00", "500.00", 1)),
		f.rec("EU", trade("BE", "2026-Q1", imp, "IN", "7102.31", "5.00", "500.00", 1)),
		f.rec("DE", trade("BE", "2026-Q1", imp, "IN", "7102.31", "5.00", "500.00", 1)))
	if got := ofRule(s.Findings(early), "R13"); len(got) != 1 || got[0].ID != "R13/DE/1/0" {
		t.Fatalf("R13 findings %s, want only DE's", describe(got))
	}
}
