package trade

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// shipment is one consignment of rough diamonds from an exporting node to
// an importing one: its certificate, its pre-notification (when sent) and
// its import confirmation (once received). Anomalies change a shipment
// through the tweak fields before its records are built.
type shipment struct {
	issuer, dest    string
	number          string // set by numberShipments, once all shipments exist
	issued, expires protocol.Date
	origin          []string
	lines           []protocol.CertificateLine
	parcels         int
	exporter        protocol.Trader
	importer        protocol.Trader

	preNotified bool
	shipped     protocol.Date
	confirmed   bool
	received    protocol.Date

	tweakPre  func(*protocol.PreNotification)    // an anomaly's change, or nil
	tweakConf func(*protocol.ImportConfirmation) // an anomaly's change, or nil
	dupConf   bool                               // the importer records its confirmation twice (R4)
}

// totals returns the sums of the lines.
func (s *shipment) totals() (protocol.Carats, protocol.USD) {
	var c protocol.Carats
	var v protocol.USD
	for _, l := range s.lines {
		c += l.Carats
		v += l.ValueUSD
	}
	return c, v
}

// group is the unit-value group of rule R8 a line of s falls in.
func (s *shipment) group(hs string) groupKey {
	origin := originMixed
	if len(s.origin) == 1 {
		origin = s.origin[0]
	}
	return groupKey{origin, hs, s.issued.Year}
}

// lineOf returns the index of the first line with code hs, or -1.
func (s *shipment) lineOf(hs string) int {
	return slices.IndexFunc(s.lines, func(l protocol.CertificateLine) bool { return l.HSCode == hs })
}

// groupKey names a unit-value group of rule R8: origin (MIXED for mixed
// parcels), HS code, issue year.
type groupKey struct {
	origin, hs string
	year       int
}

func (s *shipment) certificate() *protocol.Certificate {
	c, v := s.totals()
	return &protocol.Certificate{
		Version: 1, Number: s.number, Issuer: s.issuer, IssuingAuthority: authorityOf(s.issuer),
		Issued: s.issued, Expires: s.expires, Exporter: s.exporter, Importer: s.importer,
		Destination: s.dest, Origin: slices.Clone(s.origin), Parcels: s.parcels,
		Lines: slices.Clone(s.lines), TotalCarats: c, TotalValueUSD: v,
	}
}

func (s *shipment) preNotification() *protocol.PreNotification {
	c, v := s.totals()
	p := &protocol.PreNotification{
		Version: 1, CertificateNumber: s.number, Issuer: s.issuer, Carats: c, ValueUSD: v,
		Origin: slices.Clone(s.origin), Exporter: s.exporter, Importer: s.importer,
		Parcels: s.parcels, Shipped: s.shipped,
	}
	if s.tweakPre != nil {
		s.tweakPre(p)
	}
	return p
}

func (s *shipment) confirmation() *protocol.ImportConfirmation {
	c, _ := s.totals()
	ic := &protocol.ImportConfirmation{
		Version: 1, CertificateNumber: s.number, Issuer: s.issuer, ParcelsReceived: s.parcels,
		CaratsReceived: c, Importer: s.importer, Exporter: s.exporter, Received: s.received,
		SealsIntact: true, ContentsMatch: true,
	}
	if s.tweakConf != nil {
		s.tweakConf(ic)
	}
	return ic
}

// newShipment draws a shipment from a to b issued on day, with the
// origin, lines, parties, validity and routing a clean one has.
func (g *generator) newShipment(a, b string, day protocol.Date) *shipment {
	s := g.drawShipment(a, b, day)
	g.ships = append(g.ships, s)
	return s
}

// drawShipment is newShipment without keeping the shipment: anomalies
// draw, look, and keep it or not.
func (g *generator) drawShipment(a, b string, day protocol.Date) *shipment {
	s := &shipment{issuer: a, dest: b, issued: day}
	s.origin = g.originFor(a)
	g.relines(s, pick(g, mixesOf(a)))
	s.exporter, s.importer = pick(g, g.nodes[a].traders), pick(g, g.nodes[b].traders)
	s.expires = g.expiry(a, day)
	g.route(s)
	return s
}

// relines draws new lines of the HS codes of m, and the parcels.
func (g *generator) relines(s *shipment, m mix) {
	s.lines = g.linesFor(s.issuer, s, m)
	s.parcels = g.parcelsFor(s)
}

// originFor draws the origin of a's export: producers ship their own
// goods (sometimes a mixed parcel bought in), hubs re-export mixed parcels
// and sometimes a sorted parcel that kept one producer's origin.
func (g *generator) originFor(a string) []string {
	r := g.rng.Float64()
	switch {
	case isProducer(a) && r < 0.9:
		return []string{a}
	case !isProducer(a) && r < 0.15:
		return []string{pick(g, producers)}
	}
	return []string{originMixed}
}

// mix is the HS codes on one certificate.
type mix []string

var (
	hubMixes = []mix{{hsGem}, {hsGem}, {hsGem}, {hsGem}, {hsGem}, {hsGem, hsIndustrial}, {hsGem, hsIndustrial},
		{hsUnsorted}, {hsUnsorted, hsGem, hsIndustrial}}
	producerMixes = []mix{{hsUnsorted}, {hsUnsorted}, {hsUnsorted}, {hsUnsorted}, {hsUnsorted},
		{hsGem, hsIndustrial}, {hsGem, hsIndustrial}, {hsGem, hsIndustrial}, {hsGem}}
)

func mixesOf(a string) []mix {
	if isProducer(a) {
		return producerMixes
	}
	return hubMixes
}

// Median carats of a line, by HS code: producers ship larger lots.
var (
	hubCarats      = map[string]float64{hsGem: 1200, hsIndustrial: 6000, hsUnsorted: 4000}
	producerCarats = map[string]float64{hsGem: 3000, hsIndustrial: 15000, hsUnsorted: 8000}
)

// linesFor draws one line per HS code of m for a shipment of a.
func (g *generator) linesFor(a string, s *shipment, m mix) []protocol.CertificateLine {
	medians := hubCarats
	if isProducer(a) {
		medians = producerCarats
	}
	out := make([]protocol.CertificateLine, len(m))
	for i, hs := range m {
		carats := medians[hs] * math.Exp(0.8*g.rng.NormFloat64())
		carats = math.Min(math.Max(carats, 5), 250000)
		k := s.group(hs)
		price := centre(k.origin, hs, k.year) * math.Exp(spread*(2*g.rng.Float64()-1))
		out[i] = lineAt(hs, protocol.Carats(math.Round(carats*100)), price)
	}
	return out
}

// lineAt returns a line of carats at price USD per carat.
func lineAt(hs string, carats protocol.Carats, price float64) protocol.CertificateLine {
	return protocol.CertificateLine{HSCode: hs, Carats: carats, ValueUSD: protocol.USD(math.Round(float64(carats) * price))}
}

func (g *generator) parcelsFor(s *shipment) int {
	c, _ := s.totals()
	return min(1+int(c/1_000_000)+g.rng.IntN(3), 60)
}

// expiry is the issuer's validity span after day, moved out of the days
// around today: a certificate expiring while the load runs could be
// confirmed "after expiry" (R2) depending on the minute of publication.
func (g *generator) expiry(a string, day protocol.Date) protocol.Date {
	e := addDays(day, g.nodes[a].validity)
	if !e.Before(addDays(g.cal.today, -2)) && !e.After(addDays(g.cal.today, 1)) {
		e = addDays(g.cal.today, 2)
	}
	return e
}

// route draws the pre-notification and the receipt. Shipments of the
// statistics quarters are all received by today, so that every import
// statistic can count them; later ones may still be in transit.
func (g *generator) route(s *shipment) {
	received := addDays(s.issued, 1+g.rng.IntN(maxTransit))
	if g.cal.inStat(s.issued) {
		received = minDate(received, g.cal.today)
	}
	s.received, s.confirmed = received, !received.After(g.cal.today)
	s.preNotified = g.rng.Float64() < 0.85
	s.shipped = s.issued
	if g.rng.Float64() < 0.3 && s.issued.Before(g.cal.today) && (!s.confirmed || s.issued.Before(s.received)) {
		s.shipped = addDays(s.issued, 1)
	}
}

// confirmNow makes s received (today at the latest), for anomalies that
// need a confirmation.
func (g *generator) confirmNow(s *shipment) {
	if !s.confirmed {
		s.received, s.confirmed = g.cal.today, true
	}
}

// numberShipments gives every shipment its certificate number: per
// issuer, serials rise with the issue date from a random start, with gaps
// for the certificates the issuer sent to participants outside the
// testnet.
func (g *generator) numberShipments() {
	ships := slices.Clone(g.ships)
	slices.SortStableFunc(ships, func(a, b *shipment) int {
		if c := strings.Compare(a.issuer, b.issuer); c != 0 {
			return c
		}
		return a.issued.Compare(b.issued)
	})
	next := map[string]int{}
	for _, s := range ships {
		n, ok := next[s.issuer]
		if !ok {
			n = 100000 + g.rng.IntN(800000)
		}
		s.number = certNumber(s.issuer, n)
		next[s.issuer] = n + 1 + g.rng.IntN(3)
	}
}

// certNumber formats "IN0123456": the issuer's code and a 7-digit serial.
func certNumber(issuer string, serial int) string { return fmt.Sprintf("%s%07d", issuer, serial) }
