package exchange

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater admits only pinned partners that are not paused: outbound dials to
// anyone else are refused, and inbound connections are dropped at the
// handshake, as soon as the remote peer ID is authenticated. An inbound
// connection that has not authenticated within handshakeTimeout is closed.
type gater struct {
	// coolingOff reports a partner in a graylist cool-off (score.go),
	// refused like a paused one; set before the host starts.
	coolingOff func(peer.ID) bool
	handshakes *handshakes
	// count counts inbound connections refused (inbound_refused).
	count func(string, uint64)

	mu      sync.RWMutex // guards allowed and paused
	allowed map[peer.ID]struct{}
	paused  map[peer.ID]struct{}
}

func newGater(coolingOff func(peer.ID) bool, count func(string, uint64)) *gater {
	return &gater{coolingOff: coolingOff, handshakes: newHandshakes(handshakeTimeout, count), count: count,
		allowed: map[peer.ID]struct{}{}, paused: map[peer.ID]struct{}{}}
}

// pause refuses p (paused) or admits it again (!paused) while it stays
// pinned.
func (g *gater) pause(p peer.ID, paused bool) {
	g.mu.Lock()
	if paused {
		g.paused[p] = struct{}{}
	} else {
		delete(g.paused, p)
	}
	g.mu.Unlock()
}

func (g *gater) allow(p peer.ID) {
	g.mu.Lock()
	g.allowed[p] = struct{}{}
	g.mu.Unlock()
}

func (g *gater) deny(p peer.ID) {
	g.mu.Lock()
	delete(g.allowed, p)
	delete(g.paused, p)
	g.mu.Unlock()
}

func (g *gater) ok(p peer.ID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.allowed[p]
	_, paused := g.paused[p]
	return ok && !paused && !g.coolingOff(p)
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.ok(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.ok(p) }

// InterceptAccept starts the handshake deadline of an inbound connection;
// its peer is not known yet.
func (g *gater) InterceptAccept(c network.ConnMultiaddrs) bool {
	g.handshakes.start(c)
	return true
}

// InterceptSecured admits an authenticated connection if its peer is
// admitted, and ends the handshake deadline of an inbound one.
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	if dir != network.DirInbound {
		return g.ok(p)
	}
	g.handshakes.done(c)
	if !g.ok(p) {
		g.count("inbound_refused", 1)
		return false
	}
	return true
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
