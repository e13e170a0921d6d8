package testnet

import (
	"fmt"
	"slices"
	"strings"
)

// ParseNAT parses the members to put behind a simulated NAT ("AE,ZA"):
// they listen on nothing and only dial out, so a partner reaches them
// only through a relaying partner. Each must be a participant, and the
// network must still connect: every one needs a partner not behind NAT,
// and two linked ones a partner not behind NAT in common (the relay
// between them).
func ParseNAT(s string, participants []string, links []Link) ([]string, error) {
	var nat []string
	for _, f := range strings.Split(s, ",") {
		c := strings.ToUpper(strings.TrimSpace(f))
		switch {
		case c == "":
			continue
		case !slices.Contains(participants, c):
			return nil, fmt.Errorf("nat: %s is not one of the participants %s", c, strings.Join(participants, ","))
		case slices.Contains(nat, c):
			return nil, fmt.Errorf("nat: %s is listed twice", c)
		}
		nat = append(nat, c)
	}
	return nat, checkRelayed(nat, links)
}

// checkRelayed checks that every link between members behind NAT has a
// relay: a partner of both that is not behind NAT.
func checkRelayed(nat []string, links []Link) error {
	public := func(c string) bool { return !slices.Contains(nat, c) }
	for _, c := range nat {
		if !slices.ContainsFunc(Partners(links, c), public) {
			return fmt.Errorf("nat: %s would have no partner with an address: nothing could reach it", c)
		}
	}
	for _, l := range links {
		if public(l[0]) || public(l[1]) {
			continue
		}
		b := Partners(links, l[1])
		if !slices.ContainsFunc(Partners(links, l[0]), func(c string) bool { return public(c) && slices.Contains(b, c) }) {
			return fmt.Errorf("nat: %s and %s are both behind NAT and share no partner with an address to relay them", l[0], l[1])
		}
	}
	return nil
}
