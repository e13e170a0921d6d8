package trade

import (
	"math"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// node is one participant of the testnet as the generator sees it.
type node struct {
	code     string
	partners []string // sorted
	traders  []protocol.Trader
	validity int // days a certificate of this issuer is valid
}

// Validity spans an issuer may use, in days (no KP-wide figure exists).
var validities = []int{45, 60, 90}

// setupNodes creates the nodes with their partners and traders.
func (g *generator) setupNodes() {
	g.nodes = map[string]*node{}
	for _, c := range g.opt.Participants {
		g.nodes[c] = &node{code: c, validity: pick(g, validities)}
	}
	for _, c := range g.opt.Participants {
		g.nodes[c].traders = g.makeTraders(c)
	}
	for _, l := range g.opt.Links {
		g.nodes[l[0]].partners = append(g.nodes[l[0]].partners, l[1])
		g.nodes[l[1]].partners = append(g.nodes[l[1]].partners, l[0])
		if tradeable(l[0], l[1], g.opt.Participants) {
			g.routes = append(g.routes, [2]string{l[0], l[1]}, [2]string{l[1], l[0]})
		}
	}
	for _, c := range g.opt.Participants {
		slices.Sort(g.nodes[c].partners)
	}
}

// tradeClean draws the clean trade: for every exporter and each partner it
// trades with, a Poisson number of certificates a day, fewer at weekends.
func (g *generator) tradeClean() {
	days := g.cal.days()
	for _, r := range g.routes {
		lambda := g.dailyRate(r[0], r[1])
		for _, d := range days {
			l := lambda
			if wd := d.Time().Weekday(); wd == time.Saturday || wd == time.Sunday {
				l *= 0.15
			}
			for range g.poisson(l) {
				g.newShipment(r[0], r[1], d)
			}
		}
	}
}

// dailyRate is the expected certificates a working day from a to b: a's
// export rate shared among its trading partners by their pull.
func (g *generator) dailyRate(a, b string) float64 {
	total := 0.0
	for _, p := range g.nodes[a].partners {
		if tradeable(a, p, g.opt.Participants) {
			total += weight(a, p)
		}
	}
	return rateOf(a) * g.opt.Scale * weight(a, b) / total
}

// poisson draws from a Poisson distribution of mean lambda.
func (g *generator) poisson(lambda float64) int {
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*g.rng.NormFloat64())))
	}
	limit, p, k := math.Exp(-lambda), 1.0, 0
	for {
		p *= g.rng.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}
