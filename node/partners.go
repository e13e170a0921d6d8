package node

import (
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
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

// rosterLink is the network's side of the roster: the exchange admits,
// joins, dials and disconnects the peers the roster decides on; the
// inbox drops its lists when the feeds' codes change.
type rosterLink struct{ n *Node }

var _ roster.Listener = rosterLink{}

// Admitted lets partner p's peer connect, paused or not, at its addresses.
func (l rosterLink) Admitted(p store.Partner, pid peer.ID) { l.n.ex.Admitted(p, pid) }

// Attach joins and dials partner p.
func (l rosterLink) Attach(p store.Partner) error { return l.n.ex.Attach(p) }

// Removed refuses a removed partner's peer, forgets what was kept about
// it, leaves its topic and closes its connections.
func (l rosterLink) Removed(p store.Partner, pid peer.ID) { l.n.ex.Removed(p, pid) }

// PeerRetired refuses the peer of a retired key and closes its
// connections.
func (l rosterLink) PeerRetired(pid peer.ID) {
	l.n.ex.PeerRetired(pid)
	l.n.cards.Forget(pid) // reach: card refresh
}

// AddrsSet replaces the addresses of partner peer pid and dials it at once.
func (l rosterLink) AddrsSet(pid peer.ID, addrs []string) { l.n.ex.AddrsSet(pid, addrs) }

// Paused closes a paused partner's connections and refuses new ones, or
// dials a resumed one.
func (l rosterLink) Paused(pid peer.ID, paused bool) { l.n.ex.Paused(pid, paused) }

// FeedsChanged drops the inbox's lists: they are keyed by feed code.
func (l rosterLink) FeedsChanged() { l.n.inbox.invalidate() }
