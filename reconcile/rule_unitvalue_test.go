package reconcile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// certAt returns a certificate of one 7102.31 line of 100 ct at price USD/ct.
func certAt(number, origin, issued string, price string) *protocol.Certificate {
	p := usd(price)
	c := newCert("IN", number, "BE", issued, protocol.CertificateLine{HSCode: "7102.31", Carats: ct("100.00"), ValueUSD: p * 100})
	c.Origin = []string{origin}
	return c
}

func TestUnitValueAgainstTable(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	// The table gives BW 139 USD/ct for 2016, all qualities: a gem line
	// is held to 46.33 from below only.
	s.Add(f.rec("IN", certAt("IN0000001", "BW", "2016-03-01", "300.00")))
	s.Add(f.rec("IN", certAt("IN0000002", "BW", "2016-03-01", "50.00")))
	wantIDs(t, ofRule(s.Findings(at("2016-03-02")), "R8"))
	s.Add(f.rec("IN", certAt("IN0000003", "BW", "2016-03-01", "600.00")))
	s.Add(f.rec("IN", certAt("IN0000004", "BW", "2016-03-01", "40.00")))
	fs := ofRule(s.Findings(at("2016-03-02")), "R8")
	wantIDs(t, fs, "R8/IN/IN0000004/1")
	if n := fs[0].Numbers; n["reference_usd_per_carat"] != "139.00" || n["reference_year"] != "2016" || n["usd_per_carat"] != "40.00" {
		t.Fatalf("%v", n)
	}
	// No table row, or an industrial line below the average: nothing to
	// compare with.
	s.Add(f.rec("IN", certAt("IN0000005", "GY", "2016-03-01", "9000.00")))
	ind := certAt("IN0000006", "BW", "2016-03-01", "1.00")
	ind.Lines[0].HSCode = "7102.21"
	s.Add(f.rec("IN", ind))
	wantIDs(t, ofRule(s.Findings(at("2016-03-02")), "R8"), "R8/IN/IN0000004/1")
}

func TestUnitValueAgainstSample(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	rng := rand.New(rand.NewPCG(1, 2))
	// 40 lines of Namibian goods at USD 560 … 640/ct: a tight group (the
	// table says 533 for 2016). The z-score limit is then far inside the
	// ×3 band.
	for i := range 40 {
		s.Add(f.rec("IN", certAt(fmt.Sprintf("IN%07d", i), "NA", "2016-05-01", fmt.Sprintf("%d.00", 560+rng.IntN(81)))))
	}
	wantIDs(t, ofRule(s.Findings(at("2016-06-01")), "R8"))
	s.Add(f.rec("IN", certAt("IN0000100", "NA", "2016-05-01", "900.00"))) // ×1.5: beyond z 3 of this group
	s.Add(f.rec("IN", certAt("IN0000101", "NA", "2016-05-01", "660.00"))) // within
	fs := ofRule(s.Findings(at("2016-06-01")), "R8")
	wantIDs(t, fs, "R8/IN/IN0000100/1")
	if n := fs[0].Numbers; n["robust_z"] == "" || n["reference_usd_per_carat"] < "590" {
		t.Fatalf("%v", n)
	}
}

func TestUnitValueReferenceFollowsTheGroup(t *testing.T) {
	// Below the sample size the table's ×3 band applies; once the group is
	// large enough, its own median and spread do, and a line may change its
	// verdict: Add reports that.
	s := newState(t, "IN", func(c *Config) { c.UnitValueMinSample = 5 })
	f := feeds{}
	s.Add(f.rec("IN", certAt("IN0000001", "CD", "2022-02-01", "15.00"))) // table: CD 7 USD/ct in 2022
	wantIDs(t, ofRule(s.Findings(at("2022-03-01")), "R8"))
	var changed []Finding
	for i := 2; i <= 5; i++ {
		ch, _ := s.Add(f.rec("IN", certAt(fmt.Sprintf("IN%07d", i), "CD", "2022-02-01", "7.00")))
		changed = append(changed, ch...)
	}
	// With 5 lines the median is USD 7: 15 is ×2.1, within ×3 but beyond
	// a z-score of 3 with a spread of 5 %.
	wantIDs(t, ofRule(changed, "R8"), "R8/IN/IN0000001/1")
}
