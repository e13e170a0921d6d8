package exchange

import (
	"context"

	"github.com/kpnode/kpnode/crypto"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Diagnostics: what the node's tests and benchmarks inspect or drive
// directly. None of them is on a production path.

// HandshakeTimeout bounds an inbound connection's authentication.
const HandshakeTimeout = handshakeTimeout

// PartnerTag marks partners' connections in the connection manager as
// protected.
const PartnerTag = partnerTag

// AllowlistEntries lists the resource manager's allowlist entries the
// exchange keeps (/ip4/A/p2p/PEER), sorted.
func (s *Service) AllowlistEntries() []string { return s.allow.entries() }

// ObserveAddr notes that partner p connected from remote, as a
// connection of p does.
func (s *Service) ObserveAddr(p peer.ID, remote ma.Multiaddr) { s.allow.observe(p, remote) }

// HandshakesInFlight is the number of inbound connections whose
// handshake deadline runs.
func (s *Service) HandshakesInFlight() int { return s.gater.handshakes.inFlight() }

// Topic joins the topic of feed k, with the feed validator, and returns
// it: tests publish raw bytes on it, bypassing every check.
func (s *Service) Topic(k crypto.PublicKey) (*pubsub.Topic, error) {
	ft, _, err := s.gossip.join(k, s.validate, false)
	if err != nil {
		return nil, err
	}
	return ft.topic, nil
}

// ReceiptsNow starts every receipt session due now rather than at its
// timer (receiptDelay, about 3 s).
func (s *Service) ReceiptsNow() {
	y := s.syncer
	y.mu.Lock()
	due := make([]peer.ID, 0, len(y.pending))
	for p, t := range y.pending {
		t.Stop() // a timer already firing finds its entry gone and does nothing
		delete(y.pending, p)
		due = append(due, p)
	}
	y.mu.Unlock()
	for _, p := range due {
		y.trigger(p)
	}
}

// SyncsBusy counts the sync sessions due (receipts) or running.
func (s *Service) SyncsBusy() int {
	y := s.syncer
	y.mu.Lock()
	defer y.mu.Unlock()
	return len(y.pending) + len(y.running)
}

// NewRouter starts a gossipsub router on h configured as a node's but
// without peer scoring nor validators: it publishes whatever it is given
// (the attacker of the node's tests).
func NewRouter(ctx context.Context, h host.Host) (*pubsub.PubSub, error) {
	g, err := newGossip(ctx, h, nil)
	if err != nil {
		return nil, err
	}
	return g.ps, nil
}

// PushesQueued counts the own entries waiting for the pusher.
func (s *Service) PushesQueued() int { return len(s.pushq) }
