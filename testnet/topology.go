package testnet

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Link is a pair of participants that pin each other as partners, in
// code order.
type Link [2]string

// newLink returns the link between a and b in code order.
func newLink(a, b string) Link {
	if b < a {
		a, b = b, a
	}
	return Link{a, b}
}

// ParseParticipants parses a comma-separated list of node codes such as
// "IN,BE,AE,ZA,BW": each a code a node can run as, no duplicates, at
// least two. [KP] ("kp") names the whole network, [KPParticipants].
func ParseParticipants(s string) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(s), KP) {
		return KPParticipants(), nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		c := strings.ToUpper(strings.TrimSpace(f))
		if c == "" {
			continue
		}
		if _, ok := protocol.LookupParticipant(c); !ok {
			return nil, fmt.Errorf("participants: %q is not a participant code a node can run as (kpnode participants lists them)", c)
		}
		if slices.Contains(out, c) {
			return nil, fmt.Errorf("participants: %s is listed twice", c)
		}
		out = append(out, c)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("participants: %q names %d participant(s), want at least 2", s, len(out))
	}
	return out, nil
}

// ParseTopology returns the links of a topology over participants:
// "full" (everyone with everyone), "star:BE" (BE with everyone else),
// "pairs:IN-BE,BE-AE" (exactly those pairs), or "trade" / "trade:SEED"
// (the trade shape, [tradeLinks]; seed 1 by default). Every participant
// must end up in at least one link.
func ParseTopology(s string, participants []string) ([]Link, error) {
	kind, arg, _ := strings.Cut(strings.TrimSpace(s), ":")
	var links []Link
	switch kind {
	case "", "full":
		for i, a := range participants {
			for _, b := range participants[i+1:] {
				links = append(links, newLink(a, b))
			}
		}
	case "star":
		hub := strings.ToUpper(arg)
		if !slices.Contains(participants, hub) {
			return nil, fmt.Errorf("topology %q: the hub %q is not one of the participants", s, arg)
		}
		for _, p := range participants {
			if p != hub {
				links = append(links, newLink(hub, p))
			}
		}
	case "trade":
		seed, err := parseTradeSeed(s, arg)
		if err != nil {
			return nil, err
		}
		if len(participants) < minHubs {
			return nil, fmt.Errorf("topology %q needs at least %d participants, got %d", s, minHubs, len(participants))
		}
		links = tradeLinks(seed, participants)
	case "pairs":
		var err error
		if links, err = parsePairs(s, arg, participants); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("topology %q: want full, star:CODE, pairs:A-B,C-D or trade[:SEED]", s)
	}
	slices.SortFunc(links, func(a, b Link) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	return slices.Compact(links), checkCovered(s, links, participants)
}

func parsePairs(s, arg string, participants []string) ([]Link, error) {
	var links []Link
	for _, pair := range strings.Split(arg, ",") {
		a, b, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(pair)), "-")
		if !ok || a == b || !slices.Contains(participants, a) || !slices.Contains(participants, b) {
			return nil, fmt.Errorf("topology %q: pair %q is not A-B with A and B two different participants", s, pair)
		}
		links = append(links, newLink(a, b))
	}
	return links, nil
}

func checkCovered(s string, links []Link, participants []string) error {
	for _, p := range participants {
		if !slices.ContainsFunc(links, func(l Link) bool { return l[0] == p || l[1] == p }) {
			return fmt.Errorf("topology %q leaves %s without a partner", s, p)
		}
	}
	return nil
}

// Partners returns the partners of code in links, sorted.
func Partners(links []Link, code string) []string {
	var out []string
	for _, l := range links {
		switch code {
		case l[0]:
			out = append(out, l[1])
		case l[1]:
			out = append(out, l[0])
		}
	}
	slices.Sort(out)
	return out
}
