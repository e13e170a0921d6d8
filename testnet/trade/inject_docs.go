package trade

import (
	"fmt"
	"math"
	"slices"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// The anomalies of rules R1–R8 each add a shipment between two partners
// with one thing wrong. Both partners hold its certificate and its
// confirmation, so both must raise the finding. The shipment is also
// counted in the statistics (computed after the anomalies), which
// therefore stay consistent with the certificates.

// recentDay draws an issue date in the window, before today.
func (g *generator) recentDay() protocol.Date { return g.between(g.cal.from, addDays(g.cal.today, -1)) }

// injectMatch (R1) makes a confirmation or pre-notification disagree with
// its certificate, in one of four ways.
func (g *generator) injectMatch(k int) bool {
	a, b, _ := g.pickRoute(anyRoute)
	s := g.newShipment(a, b, g.recentDay())
	g.confirmNow(s)
	carats, value := s.totals()
	var what, suffix string
	switch k % 4 {
	case 0:
		short := max(carats/50, 1)
		s.tweakConf = func(ic *protocol.ImportConfirmation) { ic.CaratsReceived = carats - short }
		what = fmt.Sprintf("confirmation %s ct short of the certified %s ct (2 %%)", protocol.Carats(short), carats)
	case 1:
		s.tweakConf = func(ic *protocol.ImportConfirmation) {
			ic.SealsIntact, ic.Remarks = false, "Seal of parcel 1 broken on arrival; contents weighed and held"
		}
		what = "seals broken on arrival"
	case 2:
		s.tweakConf = func(ic *protocol.ImportConfirmation) { ic.ParcelsReceived = s.parcels + 1 }
		what = fmt.Sprintf("%d parcels received, %d certified", s.parcels+1, s.parcels)
	default:
		s.preNotified, suffix = true, "/pre-notification"
		s.tweakPre = func(p *protocol.PreNotification) { p.ValueUSD = value + value/10 }
		what = fmt.Sprintf("pre-notification of USD %s, certificate USD %s (+10 %%)", value+value/10, value)
	}
	g.inj.add(func() []Expected {
		return []Expected{expect(slotID("R1", s)+suffix, reconcile.Critical, g.shipNote(s, what), a, b)}
	})
	return true
}

// injectUnconfirmed (R2) leaves a shipment 33–44 days old unconfirmed:
// past the 30-day warning, before the 60-day escalation.
func (g *generator) injectUnconfirmed(int) bool {
	a, b, _ := g.pickRoute(anyRoute)
	s := g.newShipment(a, b, g.between(addDays(g.cal.today, -44), addDays(g.cal.today, -33)))
	s.confirmed, s.preNotified = false, true
	g.inj.add(func() []Expected {
		what := fmt.Sprintf("never confirmed; issued %s, %d days before %s", s.issued, daysBetween(s.issued, g.cal.today), g.cal.today)
		return []Expected{expect(slotID("R2", s), reconcile.Warning, g.shipNote(s, what), a, b)}
	})
	return true
}

// injectUnknown (R3) has the importer confirm a forged certificate: a
// number the exporter never issued. The exporter raises it, and so does
// the importer when it holds certificates of the exporter issued on or
// before the day the forgery came in.
func (g *generator) injectUnknown(int) bool {
	received := g.between(maxDate(g.cal.from, addDays(g.cal.today, -6)), addDays(g.cal.today, -1))
	a, b, ok := g.pickRoute(func(a, _ string) bool { return g.issuedBy(a, a, received) })
	if !ok {
		return false
	}
	number := certNumber(a, 9_000_000+g.rng.IntN(999_999))
	for g.inj.forged[number] {
		number = certNumber(a, 9_000_000+g.rng.IntN(999_999))
	}
	g.inj.forged[number] = true
	carats := protocol.Carats(math.Round(2000_00 * math.Exp(g.rng.NormFloat64())))
	ic := &protocol.ImportConfirmation{
		Version: 1, CertificateNumber: number, Issuer: a, ParcelsReceived: 1 + g.rng.IntN(3), CaratsReceived: carats,
		Importer: pick(g, g.nodes[b].traders), Exporter: pick(g, g.nodes[a].traders), Received: received,
		SealsIntact: true, ContentsMatch: true,
	}
	g.extra = append(g.extra, Item{Author: b, To: []string{a}, Type: protocol.ImportConfirmationType, Step: stepConfirmations, body: ic})
	g.extra = append(g.extra, g.fraudNotice(b, a, number, received))
	g.inj.add(func() []Expected {
		var obs []string
		for _, x := range []string{a, b} {
			if g.issuedBy(a, x, received) {
				obs = append(obs, x)
			}
		}
		note := fmt.Sprintf("%s confirmed %s ct under %s, a number %s never issued (received %s)", b, carats, number, a, received)
		return []Expected{expect("R3/"+a+"/"+number, reconcile.Critical, note, obs...)}
	})
	return true
}

// issuedBy reports whether observer holds a certificate of issuer issued
// on or before day.
func (g *generator) issuedBy(issuer, observer string, day protocol.Date) bool {
	return slices.ContainsFunc(g.ships, func(s *shipment) bool {
		return s.issuer == issuer && (observer == issuer || s.dest == observer) && !s.issued.After(day)
	})
}

// injectDuplicate (R4) has the importer record a confirmation twice, the
// second time with a remark: "imported twice".
func (g *generator) injectDuplicate(int) bool {
	a, b, _ := g.pickRoute(anyRoute)
	s := g.newShipment(a, b, g.recentDay())
	g.confirmNow(s)
	s.dupConf = true
	g.inj.add(func() []Expected {
		return []Expected{expect(slotID("R4", s), reconcile.Critical, g.shipNote(s, b+" recorded the confirmation twice"), a, b)}
	})
	return true
}

// Origins of R5: countries that are not KP participants (critical), and
// the Central African Republic's Bria zone under enhanced vigilance
// (warning). No clean certificate names any of them.
var (
	nonParticipants = []string{"SO", "SS", "ER", "SD"}
	watchedOrigin   = "CF"
)

// injectEligibility (R5) ships a parcel of ineligible origin: a country
// outside the scheme, or one under an enhanced-vigilance notice that the
// exporter sent to its partners.
func (g *generator) injectEligibility(k int) bool {
	a, b, _ := g.pickRoute(anyRoute)
	origin, sev := nonParticipants[k/2%len(nonParticipants)], reconcile.Critical
	if k%2 == 1 {
		origin, sev = watchedOrigin, reconcile.Warning
		g.watch(a)
	}
	s := g.newShipment(a, b, g.recentDay())
	s.origin = []string{origin}
	g.relines(s, pick(g, mixesOf(a)))
	g.inj.add(func() []Expected {
		what := "origin " + origin + ", not a KP participant"
		if sev == reconcile.Warning {
			what = "origin " + origin + ", under enhanced vigilance (notice by " + a + ")"
		}
		return []Expected{expect(slotID("R5", s), sev, g.shipNote(s, what), a, b)}
	})
	return true
}

// injectDates (R6) keys a receipt two days before the issue date (in the
// same quarter, so the statistics do not move).
func (g *generator) injectDates(int) bool {
	var days []protocol.Date
	for _, d := range g.cal.days() {
		if protocol.QuarterOf(addDays(d, -2)) == protocol.QuarterOf(d) {
			days = append(days, d)
		}
	}
	a, b, _ := g.pickRoute(anyRoute)
	s := g.newShipment(a, b, pick(g, days))
	s.confirmed, s.received, s.shipped = true, addDays(s.issued, -2), s.issued
	g.inj.add(func() []Expected {
		what := fmt.Sprintf("received %s, before the issue date", s.received)
		return []Expected{expect(slotID("R6", s), reconcile.Warning, g.shipNote(s, what), a, b)}
	})
	return true
}

// injectClassification (R7) prices a gem line (7102.31) like industrial
// goods, below USD 5/ct and below a quarter of the reference: R7 and, as
// the price is also far outside the unit-value band, R8 for the same line.
func (g *generator) injectClassification(int) bool {
	s, i := g.outlierShipment(hsGem, mix{hsGem, hsIndustrial}, anyGroup)
	if s == nil {
		return false
	}
	k := s.group(hsGem)
	price := math.Min(4, tableUSD(k.origin, k.year)/4)
	s.lines[i] = lineAt(hsGem, s.lines[i].Carats, price)
	g.inj.add(func() []Expected {
		what := fmt.Sprintf("gem line %d at USD %.2f/ct", i+1, price)
		note := g.shipNote(s, what)
		return []Expected{
			expect(lineID("R7", s, i), reconcile.Warning, note, s.issuer, s.dest),
			expect(lineID("R8", s, i), reconcile.Warning, note, s.issuer, s.dest),
		}
	})
	return true
}

// injectOutlier (R8) prices a line far outside its group: a gem line at
// a sixth of the table's all-quality average for its origin, or an
// unsorted line at a fifth of its usual price. Both are outliers whichever
// reference a node holds: a group of unit_value_min_sample lines or more
// is judged against its own median (a gem line's is 1.6 times the
// average), a smaller one against the table, whose all-quality average
// bounds gem lines from below only (DOMAIN.md rule 8; a gem line priced
// above it is no outlier against an average that mixes qualities) and
// unsorted lines from both sides. The gem line stays at twice the gem
// floor of rule R7 or more, so that it raises R8 alone.
func (g *generator) injectOutlier(k int) bool {
	hs, m := hsGem, mix{hsGem}
	price := func(k groupKey) float64 { return tableUSD(k.origin, k.year) / 6 }
	if k%2 == 1 {
		hs, m = hsUnsorted, mix{hsUnsorted}
		price = func(k groupKey) float64 { return centre(k.origin, hs, k.year) / 5 }
	}
	floor := 2 * float64(reconcile.DefaultConfig().GemMinUSDPerCarat) / 100
	s, i := g.outlierShipment(hs, m, func(k groupKey) bool { return hs != hsGem || price(k) >= floor })
	if s == nil {
		return false
	}
	grp := s.group(hs)
	usd := price(grp)
	s.lines[i] = lineAt(hs, s.lines[i].Carats, usd)
	g.inj.add(func() []Expected {
		what := fmt.Sprintf("%s line %d at USD %.2f/ct, %.2f times the usual", hs, i+1, usd, usd/centre(grp.origin, hs, grp.year))
		return []Expected{expect(lineID("R8", s, i), reconcile.Warning, g.shipNote(s, what), s.issuer, s.dest)}
	})
	return true
}

// outlierShipment adds a shipment with a line of code hs whose unit-value
// group fits and has room for one more outlier, and returns it with the
// line's index; nil when no route gives one.
func (g *generator) outlierShipment(hs string, m mix, fits func(groupKey) bool) (*shipment, int) {
	for range 4 * len(g.routes) {
		a, b, _ := g.pickRoute(anyRoute)
		s := g.drawShipment(a, b, g.recentDay())
		if s.lineOf(hs) < 0 {
			g.relines(s, m)
		}
		if k := s.group(hs); fits(k) && g.inj.outliers[k] < maxOutliers {
			g.inj.outliers[k]++
			g.ships = append(g.ships, s)
			return s, s.lineOf(hs)
		}
	}
	return nil, -1
}

// shipNote describes an anomalous shipment for the ground truth.
func (g *generator) shipNote(s *shipment, what string) string {
	c, v := s.totals()
	return fmt.Sprintf("%s→%s %s issued %s, %s ct, USD %s: %s", s.issuer, s.dest, s.number, s.issued, c, v, what)
}

func anyGroup(groupKey) bool { return true }
