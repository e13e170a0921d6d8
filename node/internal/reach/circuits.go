package reach

import (
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/proto"
	ma "github.com/multiformats/go-multiaddr"
)

// CircuitTTL is how long a circuit address through a partner is kept for
// another partner: until the next dial attempt adds it again.
const CircuitTTL = 10 * time.Minute

// AddCircuitAddrs adds, for partner target, a circuit address through
// each other partner the host is connected to directly and that serves
// relay v2: /<relay's address>/p2p/<relay>/p2p-circuit. A partner behind
// NAT that holds a reservation on one of them is then dialled through it;
// through the others the dial fails fast (no reservation). The partners'
// own addresses are untouched.
func AddCircuitAddrs(h host.Host, target peer.ID, partners Partners) {
	var addrs []ma.Multiaddr
	for _, r := range partners.Peers() {
		if a := circuitVia(h, r); r != target && a != nil {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) > 0 {
		h.Peerstore().AddAddrs(target, addrs, CircuitTTL)
	}
}

// circuitVia is the circuit address through relay r, nil when r is not
// connected directly or does not serve relay v2.
func circuitVia(h host.Host, r peer.ID) ma.Multiaddr {
	if ok, _ := h.Peerstore().SupportsProtocols(r, proto.ProtoIDv2Hop); len(ok) == 0 {
		return nil
	}
	for _, c := range h.Network().ConnsToPeer(r) {
		if c.Stat().Limited || IsCircuit(c.RemoteMultiaddr()) {
			continue
		}
		via := c.RemoteMultiaddr().Encapsulate(ma.StringCast("/p2p/" + r.String() + "/p2p-circuit"))
		return via
	}
	return nil
}

// RelaysLast wraps a dial ranker: direct addresses as rank says, relay
// addresses only relayDialDelay after the last direct one, so that a
// partner reachable directly is not reached through a relay by a faster
// hop.
func RelaysLast(rank network.DialRanker) network.DialRanker {
	return func(addrs []ma.Multiaddr) []network.AddrDelay {
		var direct, relayed []ma.Multiaddr
		for _, a := range addrs {
			if IsCircuit(a) {
				relayed = append(relayed, a)
			} else {
				direct = append(direct, a)
			}
		}
		out := rank(direct)
		last := time.Duration(0)
		for _, d := range out {
			last = max(last, d.Delay)
		}
		if len(direct) > 0 {
			last += relayDialDelay
		}
		for _, a := range relayed {
			out = append(out, network.AddrDelay{Addr: a, Delay: last})
		}
		return out
	}
}

// relayDialDelay is how long a dial waits for direct addresses before it
// tries relays: a direct TCP handshake between sites takes well under it.
const relayDialDelay = 500 * time.Millisecond
