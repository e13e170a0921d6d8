package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/kpnode/kpnode/protocol"
)

// R1 certificate-confirmation-match: the certificate and each import
// confirmation citing it, matched on (issuer, number), must agree exactly
// on parcels and parties, and on carats within tolerance; the importing
// authority must be the destination and its inspection must have passed.
// A pre-notification is held to the same standard (carats within
// tolerance, value, origin, parcels and parties exactly) in a second
// finding, "R1/<issuer>/<number>/pre-notification".

var sprintf = fmt.Sprintf

func (s *State) checkMatch(sl *slot, out []Finding) []Finding {
	cr := sl.canonicalCert()
	if cr == nil {
		return out
	}
	c := cr.cert()
	th := s.cfg.forPartner(s.slotPartner(sl))
	var why problems
	var shown *protocol.ImportConfirmation
	for _, r := range sl.confs {
		ic := r.conf()
		before := len(why)
		if !sameAuthority(r.author(), c.destination()) {
			why.add("confirmed by %s, but the certificate is for %s", r.author(), c.destination())
		}
		if ic.ParcelsReceived != c.parcels() {
			why.add("%d parcels received, %d on the certificate", ic.ParcelsReceived, c.parcels())
		}
		if !caratsAgree(ic.CaratsReceived, c.totalCarats(), th) {
			why.add("%s ct received, %s ct on the certificate", ic.CaratsReceived, c.totalCarats())
		}
		if !sameTrader(ic.Importer, c.importer()) {
			why.add("importer %s, certificate says %s", traderString(ic.Importer), traderString(c.importer()))
		}
		if !sameTrader(ic.Exporter, c.exporter()) {
			why.add("exporter %s, certificate says %s", traderString(ic.Exporter), traderString(c.exporter()))
		}
		if !ic.SealsIntact {
			why.add("seals not intact on arrival")
		}
		if !ic.ContentsMatch {
			why.add("contents did not match on inspection")
		}
		if len(why) > before && shown == nil {
			shown = ic
		}
	}
	if shown != nil {
		f := s.slotFinding(ruleMatch, sl, "")
		f.Numbers = caratNumbers(c.totalCarats(), shown.CaratsReceived, "confirmed_carats", th)
		f.Numbers["certificate_parcels"] = itoa(int64(c.parcels()))
		f.Numbers["confirmed_parcels"] = itoa(int64(shown.ParcelsReceived))
		f.Explanation = sprintf("confirmation of %s disagrees with the certificate: %s", sl.name(), why)
		out = append(out, f)
	}
	return s.checkPreNotification(sl, c, th, out)
}

func (s *State) checkPreNotification(sl *slot, c *certificate, th *thresholds, out []Finding) []Finding {
	var why problems
	var shown *protocol.PreNotification
	for _, r := range sl.pres {
		p := r.pre()
		before := len(why)
		if !caratsAgree(p.Carats, c.totalCarats(), th) {
			why.add("%s ct notified, %s ct on the certificate", p.Carats, c.totalCarats())
		}
		if p.ValueUSD != c.totalValueUSD() {
			why.add("USD %s notified, USD %s on the certificate", p.ValueUSD, c.totalValueUSD())
		}
		if p.Parcels != c.parcels() {
			why.add("%d parcels notified, %d on the certificate", p.Parcels, c.parcels())
		}
		if !sameOrigins(p.Origin, c.origin()) {
			why.add("origin %s notified, %s on the certificate", strings.Join(p.Origin, "+"), strings.Join(c.origin(), "+"))
		}
		if !sameTrader(p.Importer, c.importer()) || !sameTrader(p.Exporter, c.exporter()) {
			why.add("parties differ from the certificate")
		}
		if len(why) > before && shown == nil {
			shown = p
		}
	}
	if shown == nil {
		return out
	}
	f := s.slotFinding(ruleMatch, sl, "/pre-notification")
	f.Numbers = caratNumbers(c.totalCarats(), shown.Carats, "notified_carats", th)
	f.Numbers["certificate_value_usd"] = c.totalValueUSD().String()
	f.Numbers["notified_value_usd"] = shown.ValueUSD.String()
	f.Explanation = sprintf("pre-notification of %s disagrees with the certificate: %s", sl.name(), why)
	return append(out, f)
}

// caratsAgree reports whether got is within tolerance of want: at most the
// absolute tolerance, or at most the percentage of want.
func caratsAgree(got, want protocol.Carats, th *thresholds) bool {
	d := absDiff(int64(got), int64(want))
	return d <= th.caratTol || !exceeds(d, int64(want), th.caratTolPct)
}

// caratTolerance returns the tolerance that applies to want, in hundredths.
func caratTolerance(want protocol.Carats, th *thresholds) protocol.Carats {
	pct := int64(want) / 10000 * int64(th.caratTolPct) // avoids overflow on huge weights
	pct += int64(want) % 10000 * int64(th.caratTolPct) / 10000
	return protocol.Carats(max(th.caratTol, pct))
}

func caratNumbers(certificate, other protocol.Carats, otherKey string, th *thresholds) map[string]string {
	return map[string]string{
		"certificate_carats": certificate.String(),
		otherKey:             other.String(),
		"carats_diff":        protocol.Carats(absDiff(int64(certificate), int64(other))).String(),
		"carats_tolerance":   caratTolerance(certificate, th).String(),
	}
}

// sameTrader compares licence and country exactly and names ignoring case
// and runs of spaces.
func sameTrader(a, b protocol.Trader) bool {
	if a == b {
		return true
	}
	return strings.TrimSpace(a.Licence) == strings.TrimSpace(b.Licence) && a.Country == b.Country && sameName(a.Name, b.Name)
}

// sameName compares the words of a and b, ignoring case.
func sameName(a, b string) bool {
	for {
		wa, ra := nextWord(a)
		wb, rb := nextWord(b)
		if !strings.EqualFold(wa, wb) {
			return false
		}
		if wa == "" {
			return true
		}
		a, b = ra, rb
	}
}

// nextWord returns the first word of s and the rest after it.
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func traderString(t protocol.Trader) string {
	return sprintf("%q (%s, %s)", t.Name, t.Licence, t.Country)
}

func sameOrigins(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
