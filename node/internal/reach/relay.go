package reach

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
)

// Partners is what reach knows of the node's partners.
type Partners interface {
	// Peers lists the pinned partners' peers.
	Peers() []peer.ID
	// Admits reports whether p is a pinned partner the node deals with
	// now (pinned, not paused).
	Admits(p peer.ID) bool
}

// partnerACL lets pinned partners, and only them, reserve a slot on this
// node's relay and be connected through it to another pinned partner.
type partnerACL struct{ partners Partners }

// AllowReserve admits a reservation from a pinned partner.
func (a partnerACL) AllowReserve(p peer.ID, _ ma.Multiaddr) bool { return a.partners.Admits(p) }

// AllowConnect admits a circuit between two pinned partners.
func (a partnerACL) AllowConnect(src peer.ID, _ ma.Multiaddr, dest peer.ID) bool {
	return a.partners.Admits(src) && a.partners.Admits(dest)
}

// Relay limits. A relayed connection carries sync sessions: hellos with
// receipts, entries of at most 4 MiB (protocol.MaxEntrySize), a few a
// day between two authorities. 16 MiB each way holds three entries of
// the largest size with their frames, and a day of ordinary records many
// times over; past it, or after 30 minutes, the relay resets the circuit
// and the partners dial again (a new circuit, or a direct connection
// that hole punching made meanwhile). libp2p's defaults (128 KiB, 2
// minutes) are sized for the hole-punching handshake alone.
const (
	RelayDataLimit     = 16 << 20
	RelayDurationLimit = 30 * time.Minute
	// relayReservations: one per partner; 64 is above the 60 sites
	// foreseen.
	relayReservations = 64
	// relayCircuits bounds the circuits open for each peer: two per
	// partner pair in both directions is the most a sync needs.
	relayCircuits = 8
	// relayBuffer is each direction's copy buffer of a circuit.
	relayBuffer = 16 << 10
)

// RecordLimits are the relay's resources: sized for records (see the
// constants), not for video.
func RecordLimits() relay.Resources {
	r := relay.DefaultResources()
	r.Limit = &relay.RelayLimit{Duration: RelayDurationLimit, Data: RelayDataLimit}
	r.MaxReservations = relayReservations
	r.MaxCircuits = relayCircuits
	r.BufferSize = relayBuffer
	r.MaxReservationsPerIP = relayReservations
	r.MaxReservationsPerASN = relayReservations
	return r
}

// relayOptions are the relay service's options for partners.
func relayOptions(partners Partners) []relay.Option {
	return []relay.Option{relay.WithACL(partnerACL{partners}), relay.WithResources(RecordLimits())}
}
