package exchange

import (
	"maps"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// maxSeenIPs bounds the addresses remembered per partner from its
// connections (a partner behind NAT may come from an address its card
// does not name).
const maxSeenIPs = 4

// partnerAllowlist keeps the allowlist of go-libp2p's resource manager in
// step with the pinned partners: every IP address of a partner, from its
// card or the operator's override and from the connections it made, is
// allowlisted for its peer ID. A connection from an allowlisted address
// that finds the transient scope full (strangers' half-open connections)
// is admitted into the allowlisted scopes instead, which strangers reach
// only from a partner's own address; once authenticated as anyone but
// that partner it is moved back to the ordinary scopes. DNS names in a
// card are not resolved here: the address a partner connects from is
// learnt on its first connection.
type partnerAllowlist struct {
	mu    sync.Mutex // guards the fields below
	al    *rcmgr.Allowlist
	card  map[peer.ID][]string // IP multiaddrs (/ip4/A) from card or override
	seen  map[peer.ID][]string // from connections, newest last
	added map[string]struct{}  // entries in al: /ip4/A/p2p/PEER
}

func newPartnerAllowlist() *partnerAllowlist {
	return &partnerAllowlist{card: map[peer.ID][]string{}, seen: map[peer.ID][]string{}, added: map[string]struct{}{}}
}

// use makes al, the allowlist of a host's new resource manager, follow
// the partners.
func (a *partnerAllowlist) use(al *rcmgr.Allowlist) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.al, a.added = al, map[string]struct{}{}
	a.sync()
}

// setAddrs replaces the card (or override) addresses of partner p.
func (a *partnerAllowlist) setAddrs(p peer.ID, addrs []string) {
	var ips []string
	for _, s := range addrs {
		if m, err := ma.NewMultiaddr(s); err == nil {
			if ip := ipOf(m); ip != "" && !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.card[p] = ips
	a.sync()
}

// observe remembers the address partner p connected from.
func (a *partnerAllowlist) observe(p peer.ID, remote ma.Multiaddr) {
	ip := ipOf(remote)
	if ip == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.card[p]; !ok {
		return // not (or no longer) a partner
	}
	seen := slices.DeleteFunc(a.seen[p], func(s string) bool { return s == ip })
	seen = append(seen, ip)
	if len(seen) > maxSeenIPs {
		seen = seen[len(seen)-maxSeenIPs:]
	}
	a.seen[p] = seen
	a.sync()
}

// forget removes every address of p.
func (a *partnerAllowlist) forget(p peer.ID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.card, p)
	delete(a.seen, p)
	a.sync()
}

// entries lists the allowlist's entries.
func (a *partnerAllowlist) entries() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(maps.Keys(a.added))
}

// sync adds to al the entries wanted and removes those no longer wanted.
func (a *partnerAllowlist) sync() {
	if a.al == nil {
		return
	}
	want := map[string]struct{}{}
	for _, set := range []map[peer.ID][]string{a.card, a.seen} {
		for p, ips := range set {
			for _, ip := range ips {
				want[ip+"/p2p/"+p.String()] = struct{}{}
			}
		}
	}
	for e := range a.added {
		if _, ok := want[e]; !ok {
			a.al.Remove(ma.StringCast(e))
			delete(a.added, e)
		}
	}
	for e := range want {
		if _, ok := a.added[e]; !ok && a.al.Add(ma.StringCast(e)) == nil {
			a.added[e] = struct{}{}
		}
	}
}

// ipOf returns the /ip4/A or /ip6/A part of m, or "" if m starts with no
// IP address.
func ipOf(m ma.Multiaddr) string {
	ip, err := manet.ToIP(m)
	if err != nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil {
		return "/ip4/" + v4.String()
	}
	return "/ip6/" + ip.String()
}
