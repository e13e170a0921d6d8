package trade

import (
	"math"
	"slices"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Origins that are not a single country.
const (
	originMixed = "MIXED" // a mixed-origin parcel (hubs' re-exports)
	originWorld = "WORLD" // the reference table's world average
)

// HS codes of rough diamonds (DOMAIN.md).
const (
	hsUnsorted   = "7102.10"
	hsIndustrial = "7102.21"
	hsGem        = "7102.31"
)

// producers are the participants with a national production average in
// shared/data/unit-values.csv: they export their own origin. Every other
// node is a trading hub that re-exports mixed parcels.
var producers = []string{"AO", "AU", "BW", "CA", "CD", "LS", "NA", "RU", "SL", "ZA", "ZW"}

func isProducer(code string) bool { return slices.Contains(producers, code) }

// exportRate is certificates a working day at Scale 1, by exporter: about
// a tenth of the real figures (Antwerp ~30,000 a year).
var exportRate = map[string]float64{
	"BE": 4, "EU": 4, "IN": 3, "AE": 3, "IL": 1, "CN": 1, "US": 1, "CH": 0.8,
	"BW": 2, "RU": 2, "ZA": 1.5, "CA": 1, "AO": 1, "CD": 1, "NA": 0.6, "ZW": 0.5, "LS": 0.4, "AU": 0.3, "SL": 0.3,
}

// pull is how strongly a destination attracts exports: the cutting and
// trading centres most.
var pull = map[string]float64{
	"BE": 5, "EU": 5, "IN": 5, "AE": 4, "IL": 2, "CN": 2, "US": 1.5, "CH": 1, "TH": 1, "SG": 1,
}

// corridors boost the densest bilateral flows (DOMAIN.md: India–Belgium).
var corridors = map[[2]string]float64{{"BE", "IN"}: 2, {"AE", "IN"}: 1.5, {"AE", "BE"}: 1.5}

func rateOf(code string) float64 {
	if r, ok := exportRate[code]; ok {
		return r
	}
	if isProducer(code) {
		return 0.8
	}
	return 0.5
}

// weight is the share of a's exports that go to b, before normalising.
func weight(a, b string) float64 {
	w, ok := pull[b]
	switch {
	case !ok && isProducer(b):
		w = 0.3
	case !ok:
		w = 0.5
	}
	if isProducer(a) && isProducer(b) {
		w = 0.1
	}
	l := [2]string{min(a, b), max(a, b)}
	if f, ok := corridors[l]; ok {
		w *= f
	}
	return w
}

// euAuthority reports whether code is the EU or one of its member-state
// authorities: trade between two of them needs no KP certificate.
func euAuthority(code string) bool {
	if code == "EU" {
		return true
	}
	p, ok := protocol.LookupParticipant(code)
	return ok && p.Kind == protocol.KindEUMemberState
}

// tradeable reports whether a and b exchange KP certificates among
// participants. Two EU authorities never do. Certificates for the Union
// are issued by its member-state authorities, so the EU itself trades only
// where none of them takes part, standing for them all: then no
// partner's rows name both the EU and a member state, and the statistics
// rules (R9–R11) never compare at the Union level of both (DOMAIN.md rule
// 9: the EU and its authorities are one participant), which the ground
// truth does not model.
func tradeable(a, b string, participants []string) bool {
	if euAuthority(a) && euAuthority(b) {
		return false
	}
	if a == "EU" || b == "EU" {
		return !slices.ContainsFunc(participants, func(c string) bool { return c != "EU" && euAuthority(c) })
	}
	return true
}

var authorities = map[string]string{
	"AE": "UAE Kimberley Process Office, Dubai Multi Commodities Centre",
	"BE": "FPS Economy, Diamond Office, Antwerp",
	"BW": "Ministry of Minerals and Energy, Diamond Hub, Gaborone",
	"CA": "Natural Resources Canada, Kimberley Process Office",
	"IL": "Israel Diamond Controller, Ministry of Economy",
	"IN": "Gem & Jewellery Export Promotion Council, Mumbai",
	"RU": "Gokhran of Russia, Ministry of Finance",
	"US": "US Kimberley Process Authority",
	"ZA": "South African Diamond and Precious Metals Regulator",
}

func authorityOf(code string) string {
	if a, ok := authorities[code]; ok {
		return a
	}
	p, _ := protocol.LookupParticipant(code)
	return p.Name + " Kimberley Process Authority"
}

// tableUSD returns the reference table's USD per carat for an origin
// group: the origin's national average, or the world average for mixed
// parcels and for origins the table does not list.
func tableUSD(origin string, year int) float64 {
	ref := reconcile.DefaultUnitValues()
	if origin != originMixed {
		if v, _, ok := ref.Lookup(origin, year); ok {
			return float64(v) / 100
		}
	}
	v, _, _ := ref.Lookup(originWorld, year)
	return float64(v) / 100
}

// centre is the typical USD per carat of a line of an origin group and HS
// code: the table's average for unsorted goods, 1.6 times it for gem
// quality, and a few dollars for industrial goods. Every clean line lies
// within ±spread (in log) of it, so that no clean line is an outlier for
// rule R8 whatever subset of lines a node holds: two clean lines are at
// most 2×spread apart, inside the narrowest limit R8 applies (a robust
// z-score of 3 with its 5 % floor on the spread, about ±22 %).
func centre(origin, hs string, year int) float64 {
	t := tableUSD(origin, year)
	switch hs {
	case hsGem:
		return 1.6 * t
	case hsIndustrial:
		return math.Min(math.Max(0.12*t, 3), 20)
	}
	return t
}

// spread bounds a clean line's deviation from its centre, in log.
const spread = 0.08

// Producers returns the participants that export their own production
// (those with a national average in the reference unit values), sorted.
// Topologies draw their links from it: each producer sells to a few hubs.
func Producers() []string { return slices.Clone(producers) }

// Tradeable reports whether a and b, both among participants, exchange KP
// certificates: not two EU authorities, and the EU only where none of its
// member-state authorities takes part. A link between two participants
// that do not trade carries notices and reports but no shipment.
func Tradeable(a, b string, participants []string) bool { return tradeable(a, b, participants) }
