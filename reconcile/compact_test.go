package reconcile

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/kpnode/kpnode/protocol"
)

// protocolCert returns the certificate c answers for: every field the
// State keeps, the version 1, nothing superseded, no attachments.
func protocolCert(c *certificate) *protocol.Certificate {
	return &protocol.Certificate{
		Version: 1, Number: c.number(), Issuer: c.issuer(), IssuingAuthority: c.authority(),
		Issued: c.issued(), Expires: c.expires(), Exporter: c.exporter(), Importer: c.importer(),
		Destination: c.destination(), Origin: c.origin(), Parcels: c.parcels(), Lines: c.lines(),
		TotalCarats: c.totalCarats(), TotalValueUSD: c.totalValueUSD(),
	}
}

// TestCompactCertEqual checks that the State's copy of a certificate
// answers every field the rules read as the certificate holds it (so no
// rule, finding or explanation can tell them apart), shares the repeated
// parts of the certificates before it, and shares nothing with the
// caller's value.
func TestCompactCertEqual(t *testing.T) {
	var in interner
	g := newGenerator(3, "IN", "BE", "2026-01-01", 365)
	var prev *certificate
	for i := range 400 {
		c := g.cert(i)
		switch i % 5 {
		case 1:
			c.Supersedes = &protocol.Supersedes{Seq: 4, Item: 2}
			c.Exporter.Address = "12 Diamond Street, Mumbai"
		case 2:
			c.Lines, c.Origin = nil, nil
		case 3:
			c.Lines, c.Origin = []protocol.CertificateLine{}, []string{}
			c.Issued, c.Expires = protocol.Date{}, protocol.Date{Year: -44, Month: 3, Day: 15}
		case 4:
			c.Lines[0].HSCode = "not an HS code"
			c.Importer.Name = "  Example   Diamonds bv "
		}
		k, ok := in.compactCert(c)
		if !ok {
			t.Fatalf("certificate %d refused", i)
		}
		want := *c
		want.Supersedes, want.Attachments = nil, nil
		if got := protocolCert(k); !reflect.DeepEqual(got, &want) {
			t.Fatalf("certificate %d: copy answers %+v, original %+v", i, got, &want)
		}
		if unsafe.StringData(k.number()) == unsafe.StringData(c.Number) || len(c.Lines) > 0 && &k.lines()[0] == &c.Lines[0] || cap(k.ls) != len(k.ls) {
			t.Fatalf("certificate %d: the copy shares the caller's number or lines, or its lines can grow into another's", i)
		}
		if len(c.Origin) > 0 && &k.origin()[0] == &c.Origin[0] {
			t.Fatalf("certificate %d: the copy shares the caller's origins", i)
		}
		if prev != nil && slicesEqualRoute(prev, k) && prev.route != k.route {
			t.Fatalf("certificate %d: route %+v not shared with the one before", i, *k.route)
		}
		prev = k
	}
	if len(in.routes) > len(tradeOrigins)*2+2 {
		t.Fatalf("%d routes kept for %d origins: routes are not shared", len(in.routes), len(tradeOrigins))
	}
}

func slicesEqualRoute(a, b *certificate) bool {
	return reflect.DeepEqual(*a.route, *b.route)
}

// TestCompactPartsStayApart checks that parties and routes whose fields
// run together alike are kept apart: a key that only joined the fields
// would give one party for both.
func TestCompactPartsStayApart(t *testing.T) {
	var in interner
	for _, p := range [][3]string{{"ab", "c", ""}, {"a", "bc", ""}, {"a", "b", "c"}, {"a\x00b", "", ""}, {"a", "", "b"}} {
		k := in.partyOf(p[0], p[1], p[2])
		if k.name != p[0] || k.country != p[1] || k.address != p[2] {
			t.Fatalf("party %q answers %+v", p, *k)
		}
	}
	base := newCert("IN", "IN0000001", "BE", "2026-01-10")
	for _, o := range [][]string{nil, {}, {""}, {"", ""}, {"BW"}, {"BW", "ZA"}, {"BWZA"}} {
		c := *base
		c.Origin = o
		k, _ := in.compactCert(&c)
		if !reflect.DeepEqual(k.origin(), o) {
			t.Fatalf("origin %q answers %q", o, k.origin())
		}
	}
	if len(in.parties) != 5+2 { // the five above, base's exporter and importer
		t.Fatalf("%d parties kept, want 7", len(in.parties))
	}
}

// TestPackedDateOrder checks that packed dates round-trip and compare as
// the dates do, for random dates in and at the edges of the range.
func TestPackedDateOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() protocol.Date {
		if rng.IntN(10) == 0 {
			return protocol.Date{}
		}
		years := []int{-protocol.PackedYears, protocol.PackedYears, 0, 1, 9999, -1}
		y := rng.IntN(20000) - 10000
		if rng.IntN(4) == 0 {
			y = years[rng.IntN(len(years))]
		}
		return protocol.Date{Year: y, Month: time.Month(rng.IntN(13)), Day: rng.IntN(32)}
	}
	for range 100_000 {
		a, b := random(), random()
		pa, okA := protocol.PackDate(a)
		pb, okB := protocol.PackDate(b)
		if !okA || !okB || pa.Date() != a || pb.Date() != b {
			t.Fatalf("%+v, %+v: packed %d %v, %d %v", a, b, pa, okA, pb, okB)
		}
		if got, want := cmpInt(int(pa), int(pb)), dateCmp(a, b); got != want {
			t.Fatalf("%+v vs %+v: packed compare %d, dates %d", a, b, got, want)
		}
	}
	for _, d := range []protocol.Date{{Year: protocol.PackedYears + 1, Month: 1, Day: 1}, {Year: -protocol.PackedYears - 1}, {Year: 2026, Month: 13, Day: 1}, {Year: 2026, Month: 1, Day: 32}, {Year: 2026, Month: -1}, {Year: 2026, Day: -1}} {
		if _, ok := protocol.PackDate(d); ok {
			t.Fatalf("%+v packed: it cannot round-trip", d)
		}
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestUnkeepableCertificateIgnored checks that a certificate the State
// cannot keep exactly (a date no parser returns) is left out whole rather
// than kept with other dates: it raises nothing, and a valid one does.
func TestUnkeepableCertificateIgnored(t *testing.T) {
	s := newState(t, "IN")
	bad := newCert("IN", "IN0000001", "BE", "2026-01-10", line("7102.31", "100.00", "15000.00"))
	bad.Expires = protocol.Date{Year: 2026, Month: 14, Day: 1}
	good := newCert("IN", "IN0000002", "BE", "2026-01-10", line("7102.31", "100.00", "15000.00"))
	s.AddAll([]Record{{Ref: RecordRef{Feed: "IN", Seq: 1}, Body: bad}, {Ref: RecordRef{Feed: "IN", Seq: 2}, Body: good}})
	if recs, _ := s.Len(); recs != 1 {
		t.Fatalf("%d records live, want the valid certificate only", recs)
	}
	if s.lookupSlot("IN", "IN0000001") != nil || s.lookupSlot("IN", "IN0000002") == nil {
		t.Fatal("the unkeepable certificate has a slot, or the valid one has none")
	}
}
