package node

import (
	"fmt"

	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// The partner operations are the roster's (node/internal/roster); these
// names keep the node's API whole for its consumers (api.Backend, the CLI).
type (
	// Partner is a pinned partner as operators see it.
	Partner = roster.Partner
	// RetiredKeyView is a partner's retired key as operators see it.
	RetiredKeyView = roster.RetiredKeyView
	// RepinResult is what [Node.RepinPartner] did.
	RepinResult = roster.RepinResult
)

// partnerOps is embedded in [Node]: AddPartner, RemovePartner, Partners,
// SetPartnerAddrs, PausePartner and RepinPartner are the roster's.
type partnerOps = roster.Operations

// Reasons a key is retired, kept in store.RetiredKey.Reason and in the
// refused-entry evidence.
const (
	RetiredRotated     = roster.RetiredRotated
	RetiredCompromised = roster.RetiredCompromised
)

// rosterLink is the network's side of the roster: it admits, joins,
// dials and disconnects the peers the roster decides on.
type rosterLink struct{ n *Node }

var _ roster.Listener = rosterLink{}

// Admitted lets partner p's peer connect, paused or not, at its addresses.
func (l rosterLink) Admitted(p store.Partner, pid peer.ID) {
	l.n.gater.allow(pid)
	l.n.gater.pause(pid, p.Paused)
	l.n.allow.setAddrs(pid, roster.Addrs(p))
}

// Attach joins and dials partner p when the node runs.
func (l rosterLink) Attach(p store.Partner) error {
	if l.n.currentHost() == nil {
		return nil
	}
	return l.n.attachPartner(p)
}

// Removed refuses a removed partner's peer, forgets what was kept about
// it, leaves its topic and closes its connections.
func (l rosterLink) Removed(p store.Partner, pid peer.ID) {
	n := l.n
	n.gater.deny(pid)
	n.allow.forget(pid)
	n.delivery.forget(pid)
	n.abuse.forget(pid)
	n.serving.forget(pid)
	n.scores.forget(pid)
	if g := n.currentGossip(); g != nil {
		g.leave(p.Key)
	}
	n.disconnect(pid)
}

// PeerRetired refuses the peer of a retired key and closes its
// connections.
func (l rosterLink) PeerRetired(pid peer.ID) {
	l.n.gater.deny(pid)
	l.n.allow.forget(pid)
	l.n.delivery.forget(pid)
	l.n.cards.Forget(pid) // reach: card refresh
	l.n.disconnect(pid)
}

// AddrsSet replaces the addresses of partner peer pid and dials it at once.
func (l rosterLink) AddrsSet(pid peer.ID, addrs []string) {
	l.n.allow.setAddrs(pid, addrs)
	if h := l.n.currentHost(); h != nil {
		redial(h, pid, addrs)
		l.n.dialer.now(pid)
	}
}

// Paused closes a paused partner's connections and refuses new ones, or
// dials a resumed one.
func (l rosterLink) Paused(pid peer.ID, paused bool) {
	l.n.gater.pause(pid, paused)
	if h := l.n.currentHost(); h != nil {
		if paused {
			_ = h.Network().ClosePeer(pid)
		} else {
			l.n.dialer.now(pid)
		}
	}
}

// FeedsChanged drops the inbox's lists: they are keyed by feed code.
func (l rosterLink) FeedsChanged() { l.n.inbox.invalidate() }

// disconnect unprotects pid's connections and closes them.
func (n *Node) disconnect(pid peer.ID) {
	if h := n.currentHost(); h != nil {
		h.ConnManager().Unprotect(pid, partnerTag)
		h.Network().ClosePeer(pid)
	}
}

// attachPartner gives the running host the partner's addresses, protects
// its connections from the connection manager's trimming, joins its feed
// topic and makes it due for a dial.
func (n *Node) attachPartner(p store.Partner) error {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	h := n.currentHost()
	setAddrs(h, pid, roster.Addrs(p))
	h.ConnManager().Protect(pid, partnerTag)
	ft, err := n.currentGossip().join(p.Key, n.validate, true)
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); drain(n.runCtx, ft.sub) }()
	n.dialer.now(pid)
	return nil
}

// partnerTag marks partners' connections in the connection manager as
// protected: they are never trimmed, whatever else connects.
const partnerTag = "kpnode-partner"

// redial replaces the addresses the host knows for p and forgets the
// swarm's dial backoff of p, so that the next dial tries them at once.
func redial(h host.Host, p peer.ID, addrs []string) {
	setAddrs(h, p, addrs)
	clearBackoff(h, p)
}

// clearBackoff forgets the swarm's dial backoff of p (5 s plus the square
// of the failed tries in seconds, up to 5 minutes), so that the next dial
// tries its addresses at once: the dialer keeps its own, shorter, backoff
// for partners.
func clearBackoff(h host.Host, p peer.ID) {
	if s, ok := h.Network().(interface{ Backoff() *swarm.DialBackoff }); ok {
		s.Backoff().Clear(p)
	}
}
