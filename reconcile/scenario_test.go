package reconcile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// Realistic synthetic trade, as an authority would record it: origins with
// their public average unit values (shared/data/unit-values.csv, 2022),
// one to three lines per certificate, gem, unsorted and industrial goods.
var tradeOrigins = []struct {
	codes []string
	gem   int64 // USD per carat of gem quality goods, in cents
}{
	{[]string{"BW"}, 192_00}, {[]string{"RU"}, 85_00}, {[]string{"ZA"}, 159_00}, {[]string{"CA"}, 116_00},
	{[]string{"AO"}, 224_00}, {[]string{"NA"}, 601_00}, {[]string{"MIXED"}, 134_00},
}

// generator makes certificates of issuer to dest, deterministically.
type generator struct {
	rng    *rand.Rand
	issuer string
	dest   string
	first  protocol.Date
	days   int // issue dates spread over this many days from first
}

func newGenerator(seed uint64, issuer, dest, first string, days int) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 7)), issuer: issuer, dest: dest, first: day(first), days: days}
}

// noisy returns v × (0.75 … 1.30), a realistic spread of unit values.
func (g *generator) noisy(v int64) int64 { return v * int64(75+g.rng.IntN(56)) / 100 }

func (g *generator) cert(i int) *protocol.Certificate {
	o := tradeOrigins[g.rng.IntN(len(tradeOrigins))]
	issued := protocol.DateOf(g.first.Time().AddDate(0, 0, g.rng.IntN(g.days)))
	var lines []protocol.CertificateLine
	for j := range 1 + g.rng.IntN(3) {
		hs, perCt := protocol.HSCodes()[j], o.gem
		switch hs {
		case "7102.21":
			perCt = 8_00 // industrial
		case "7102.10":
			perCt = o.gem * 8 / 10 // unsorted
		}
		carats := int64(50_00 + g.rng.IntN(5000_00))
		lines = append(lines, protocol.CertificateLine{HSCode: hs, Carats: protocol.Carats(carats), ValueUSD: protocol.USD(carats * g.noisy(perCt) / 100)})
	}
	c := newCert(g.issuer, fmt.Sprintf("%s%07d", g.issuer, i), g.dest, issued.String(), lines...)
	c.Origin = o.codes
	c.Parcels = 1 + g.rng.IntN(12)
	return c
}

// received returns a received date 2 … 10 days after issue.
func (g *generator) received(c *protocol.Certificate) string {
	return protocol.DateOf(c.Issued.Time().AddDate(0, 0, 2+g.rng.IntN(9))).String()
}

// scenario is the end-to-end case of the issue: IN records 1,000
// certificates to BE; BE records 991 confirmations, 989 that match, one
// with a carat mismatch and one for a certificate IN never issued.
func scenario() []Record {
	g := newGenerator(2026, "IN", "BE", "2026-01-01", 31)
	f := feeds{}
	var out []Record
	for i := 1; i <= 1000; i++ {
		c := g.cert(i)
		out = append(out, f.rec("IN", c))
		if i > 990 {
			continue // 991 … 1000 stay unconfirmed
		}
		ic := confirm(c, g.received(c))
		if i == 990 {
			ic.CaratsReceived -= 12_50
		}
		out = append(out, f.rec("BE", ic))
	}
	ghost := g.cert(9_999_999)
	out = append(out, f.rec("BE", confirm(ghost, "2026-01-20")))
	return out
}

func TestScenarioInAndBe(t *testing.T) {
	records := scenario()
	var unconfirmed []string
	for i := 991; i <= 1000; i++ {
		unconfirmed = append(unconfirmed, fmt.Sprintf("R2/IN/IN%07d", i))
	}
	for _, self := range []string{"IN", "BE"} {
		s := newState(t, self)
		s.AddAll(records)
		// Before the window closes: the mismatch and the unknown certificate.
		wantIDs(t, s.Findings(at("2026-01-25")), "R1/IN/IN0000990", "R3/IN/IN9999999")
		// After it: exactly 10 unconfirmed, 1 mismatch, 1 unknown.
		fs := s.Findings(at("2026-03-15"))
		wantIDs(t, fs, append([]string{"R1/IN/IN0000990", "R3/IN/IN9999999"}, unconfirmed...)...)
		partner := map[string]string{"IN": "BE", "BE": "IN"}[self]
		for _, g := range fs {
			if g.Partner != partner {
				t.Fatalf("self %s: %s has partner %q", self, g.ID, g.Partner)
			}
		}
		if n := find(t, fs, "R1/IN/IN0000990").Numbers["carats_diff"]; n != "12.50" {
			t.Fatalf("mismatch of %s ct", n)
		}
		if recs, _ := s.Len(); recs != 1991 {
			t.Fatalf("%d records", recs)
		}
	}
}

func TestScenarioIncrementalAsRecordsArrive(t *testing.T) {
	// The node sees IN's certificates first, the clock passes the window,
	// then BE's confirmations close the loop one by one.
	records := scenario()
	s := newState(t, "IN")
	var certs, confs []Record
	for _, r := range records {
		if r.Ref.Feed == "IN" {
			certs = append(certs, r)
		} else {
			confs = append(confs, r)
		}
	}
	s.AddAll(certs)
	if ch, _ := s.Advance(at("2026-03-15")); len(ch) != 1000 {
		t.Fatalf("%d certificates unconfirmed, want 1000", len(ch))
	}
	cleared, raised := 0, 0
	for _, r := range confs {
		ch, cl := s.Add(r)
		raised += len(ch)
		cleared += len(cl)
	}
	if cleared != 990 || raised != 2 {
		t.Fatalf("confirmations cleared %d and raised %d, want 990 and 2", cleared, raised)
	}
	if _, n := s.Len(); n != 12 {
		t.Fatalf("%d findings, want 12", n)
	}
}
