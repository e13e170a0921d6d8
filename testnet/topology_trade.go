package testnet

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/testnet/trade"
)

// KP is the --participants value that names the whole network: every code
// of the built-in list a node can run as (every state participant and the
// EU), plus the EU member-state authorities that issue the Union's
// certificates.
const KP = "kp"

// KPParticipants returns the codes of the whole network, sorted: every
// entry of protocol.Participants for which protocol.ValidCode holds.
func KPParticipants() []string {
	var out []string
	for _, p := range protocol.Participants() {
		if protocol.ValidCode(p.Code) {
			out = append(out, p.Code)
		}
	}
	return out
}

// tradeHubs are the cutting and trading centres of DOMAIN.md, with how
// strongly each attracts producers' exports (the generator's pull). Hong
// Kong has no code of its own in the list: China stands for it.
var tradeHubs = map[string]float64{
	"BE": 5, "IN": 5, "AE": 4, "IL": 2, "CN": 2, "US": 1.5, "CH": 1, "SG": 1, "TH": 1,
}

// Partners drawn for each participant outside the hubs.
const (
	producerBuyers = 3 // a producer sells to a few hubs
	otherPartners  = 2 // anyone else trades with two
	minHubs        = 3 // hubs a trade topology needs; topped up from the participants
)

// tradeLinks draws the trade shape over participants: the hubs present
// trade with each other, each producer (trade.Producers) with
// producerBuyers hubs and everyone else with otherPartners hubs, drawn by
// the hubs' pull with a random source seeded by seed and the participant's
// code, so that the same seed draws the same links. A participant draws
// only hubs it can trade with (trade.Tradeable) when there are enough of
// them. With fewer than minHubs hubs present, the participants first in
// code order among the others are made hubs.
func tradeLinks(seed uint64, participants []string) []Link {
	hubs := hubsOf(participants)
	var links []Link
	for i, a := range hubs {
		for _, b := range hubs[i+1:] {
			links = append(links, newLink(a, b))
		}
	}
	for _, p := range participants {
		if slices.Contains(hubs, p) {
			continue
		}
		k := otherPartners
		if slices.Contains(trade.Producers(), p) {
			k = producerBuyers
		}
		for _, h := range drawHubs(seed, p, k, hubs, participants) {
			links = append(links, newLink(p, h))
		}
	}
	return links
}

// hubsOf returns the hubs among participants, sorted, topped up to
// minHubs with the first other participants in code order.
func hubsOf(participants []string) []string {
	sorted := slices.Sorted(slices.Values(participants))
	var hubs []string
	for _, p := range sorted {
		if _, ok := tradeHubs[p]; ok {
			hubs = append(hubs, p)
		}
	}
	for _, p := range sorted {
		if len(hubs) >= minHubs {
			break
		}
		if !slices.Contains(hubs, p) {
			hubs = append(hubs, p)
		}
	}
	slices.Sort(hubs)
	return hubs
}

// drawHubs draws k distinct hubs for p, weighted by pull, preferring the
// hubs p can trade with.
func drawHubs(seed uint64, p string, k int, hubs, participants []string) []string {
	h := fnv.New64a()
	h.Write([]byte(p))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	var good, rest []string
	for _, c := range hubs {
		if trade.Tradeable(p, c, participants) {
			good = append(good, c)
		} else {
			rest = append(rest, c)
		}
	}
	out := weightedDraw(rng, good, k)
	if len(out) < k {
		out = append(out, weightedDraw(rng, rest, k-len(out))...)
	}
	return out
}

// weightedDraw draws up to k distinct codes from cands, each with
// probability proportional to its pull (1 for a code not in tradeHubs).
func weightedDraw(rng *rand.Rand, cands []string, k int) []string {
	cands = slices.Clone(cands)
	var out []string
	for len(out) < k && len(cands) > 0 {
		total := 0.0
		for _, c := range cands {
			total += pullOf(c)
		}
		x := rng.Float64() * total
		i := 0
		for ; i < len(cands)-1; i++ {
			if x -= pullOf(cands[i]); x < 0 {
				break
			}
		}
		out = append(out, cands[i])
		cands = slices.Delete(cands, i, i+1)
	}
	return out
}

func pullOf(code string) float64 {
	if w, ok := tradeHubs[code]; ok {
		return w
	}
	return 1
}

// parseTradeSeed parses the seed of "trade" (1) or "trade:SEED".
func parseTradeSeed(s, arg string) (uint64, error) {
	if arg == "" {
		return 1, nil
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(arg), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("topology %q: the seed %q is not a non-negative integer", s, arg)
	}
	return seed, nil
}

// LinksTable renders links as a Markdown table: one row per participant
// with its role in the trade shape (hub, producer or other) and its
// partners. docs/testnet.md holds the table of `--participants kp
// --topology trade`, and a test keeps it equal to what the code draws.
func LinksTable(participants []string, links []Link) string {
	hubs := hubsOf(participants)
	var b strings.Builder
	b.WriteString("| Node | Role | Partners |\n|---|---|---|\n")
	for _, p := range slices.Sorted(slices.Values(participants)) {
		role := "other"
		switch {
		case slices.Contains(hubs, p):
			role = "hub"
		case slices.Contains(trade.Producers(), p):
			role = "producer"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p, role, strings.Join(Partners(links, p), ", "))
	}
	return b.String()
}
