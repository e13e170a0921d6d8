package trade

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// Invented company names: the generator never names real traders.
var (
	nameWords = []string{"Arcadia", "Meridian", "Northstar", "Kestrel", "Orion", "Saffron", "Zenith", "Harbour",
		"Crescent", "Summit", "Lotus", "Falcon", "Atlas", "Cobalt", "Sterling", "Aurora", "Juniper", "Solace"}
	hubTrades      = []string{"Diamonds", "Gems", "Rough Trading", "Diamond Traders", "Brilliants", "Stones"}
	producerTrades = []string{"Mining", "Diamond Sales", "Resources", "Rough Sales"}
	legalForms     = map[string]string{
		"AE": "DMCC", "BE": "BVBA", "BW": "(Pty) Ltd", "IL": "Ltd", "IN": "Pvt Ltd", "NA": "(Pty) Ltd",
		"RU": "JSC", "US": "Inc", "ZA": "(Pty) Ltd", "CA": "Inc", "CN": "Co Ltd",
	}
)

// tradersPerNode is how many licensed traders each authority has.
const tradersPerNode = 6

// makeTraders invents the licensed traders of a participant.
func (g *generator) makeTraders(code string) []protocol.Trader {
	trades := hubTrades
	if isProducer(code) {
		trades = producerTrades
	}
	form, ok := legalForms[code]
	if !ok {
		form = "Ltd"
	}
	out := make([]protocol.Trader, 0, tradersPerNode)
	for len(out) < tradersPerNode {
		name := fmt.Sprintf("%s %s %s", pick(g, nameWords), pick(g, trades), form)
		if containsName(out, name) {
			continue
		}
		out = append(out, protocol.Trader{Name: name, Licence: g.licence(code), Country: countryOf(code)})
	}
	return out
}

func containsName(ts []protocol.Trader, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

// licence invents a licence number in the participant's style.
func (g *generator) licence(code string) string {
	n := 10000 + g.rng.IntN(90000)
	switch code {
	case "BE":
		return fmt.Sprintf("BE-0%03d.%03d.%03d", n%1000, g.rng.IntN(1000), g.rng.IntN(1000))
	case "IN":
		return fmt.Sprintf("IN-KP-%05d", n)
	case "AE":
		return fmt.Sprintf("DMCC-%05d", n)
	}
	return fmt.Sprintf("%s-KP-%05d", code, n)
}

// countryOf is a trader's country: the participant's own code (the EU's
// traders are registered in a member state; BE stands for them).
func countryOf(code string) string {
	if code == "EU" {
		return "BE"
	}
	return code
}

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }
