package exchange

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// What the node reads of the exchange (status, history, rotation) and
// the seams other protocols and transports plug into.

// Link is what the exchange knows of the link with one partner.
type Link struct {
	LastContact time.Time
	TheirHead   uint64            // the partner's head of its own feed, as told
	Receipt     *protocol.Receipt // its latest receipt of this node's feed
	LastSync    time.Time
	LastSyncErr string
	LastLag     uint64    // undelivered entries, as last observed
	LagSince    time.Time // when that lag last shrank or was zero
}

// Link returns what is known of the link with partner p.
func (s *Service) Link(p peer.ID) Link {
	l := s.delivery.get(p)
	return Link{LastContact: l.lastContact, TheirHead: l.theirHead, Receipt: l.receipt, LastSync: l.lastSync,
		LastSyncErr: l.lastSyncErr, LastLag: l.lastLag, LagSince: l.lagSince}
}

// ObserveLag records partner p's undelivered count; the history sampler
// calls it at each sample, and only it.
func (s *Service) ObserveLag(p peer.ID, lag uint64, now time.Time) {
	s.delivery.observeLag(p, lag, now)
}

// LagSince returns since when p's lag has not shrunk, as of the lags
// observed. It records nothing.
func (s *Service) LagSince(p peer.ID, lag uint64, now time.Time) time.Time {
	return s.delivery.lagSince(p, lag, now)
}

// Abuse is a partner's sync abuse: points (decaying) and counts.
type Abuse struct {
	Points     float64
	Violations uint64
	Stalls     uint64
}

// Abuse returns partner p's sync abuse, decayed to now.
func (s *Service) Abuse(p peer.ID) Abuse {
	r := s.abuse.get(p)
	return Abuse{Points: r.points, Violations: r.violations, Stalls: r.stalls}
}

// Score returns p's latest gossipsub score with its sync abuse counts,
// the end of its graylist cool-off and how often it was graylisted.
func (s *Service) Score(p peer.ID) (PeerScore, time.Time, uint64) {
	ps, until, n := s.scores.get(p)
	a := s.abuse.get(p)
	ps.SyncViolations, ps.SyncStalls = a.violations, a.stalls
	return ps, until, n
}

// ScoreRounds counts the reads of the peer scores so far.
func (s *Service) ScoreRounds() uint64 { return s.scores.round() }

// GraylistThreshold is the score under which a partner is graylisted.
const GraylistThreshold = graylistThreshold

// Trigger asks for a sync session with p now (or right after the running
// one).
func (s *Service) Trigger(p peer.ID) { s.syncer.trigger(p) }

// TriggerAll asks for a sync session with every connected partner.
func (s *Service) TriggerAll() { s.syncer.triggerAll() }

// ErrNotPartner is returned by [Service.OpenStream] to a peer that is not
// a pinned partner admitted now (removed, paused or cooling off).
var ErrNotPartner = errors.New("not an admitted partner")

// Handle serves protocol id with handler under the exchange's rules: a
// stream from a peer that is not a pinned partner admitted now (removed,
// paused, cooling off) is reset before handler sees it; the gater and
// the resource manager's allowlist already apply to its connection. The
// handler owns the stream (close or reset it). A protocol handled twice
// is an error.
func (s *Service) Handle(id libp2pprotocol.ID, handler network.StreamHandler) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handlers[string(id)] || id == protocol.SyncProtocolID {
		return fmt.Errorf("handle %s: already handled", id)
	}
	s.handlers[string(id)] = true
	s.host.SetStreamHandler(id, func(st network.Stream) {
		if !s.admitted(st.Conn().RemotePeer()) {
			st.Reset()
			return
		}
		handler(st)
	})
	return nil
}

// OpenStream opens a stream of protocol id to partner p, connecting
// first if needed; [ErrNotPartner] if p is not admitted now.
func (s *Service) OpenStream(ctx context.Context, p peer.ID, id libp2pprotocol.ID) (network.Stream, error) {
	if !s.admitted(p) {
		return nil, fmt.Errorf("open %s stream to %s: %w", id, p, ErrNotPartner)
	}
	return s.host.NewStream(ctx, p, id)
}

// Admits reports whether p is a pinned partner admitted now (not
// removed, paused or cooling off): the peers [Service.Handle] serves.
func (s *Service) Admits(p peer.ID) bool { return s.admitted(p) }

// Penalise charges p a protocol violation on a protocol served or asked
// through [Service.Handle] and [Service.OpenStream] (data a correct peer
// never sends), as a sync violation is charged: its gossipsub score
// falls with it, and enough of them graylist it.
func (s *Service) Penalise(p peer.ID) {
	s.abuse.charge(p, abuseViolation, func(r *abuseRecord) { r.violations++ })
}

// admitted reports whether p is a pinned partner the gater admits now.
func (s *Service) admitted(p peer.ID) bool {
	_, ok := s.roster.Snapshot().PartnerByPeer(p)
	return ok && s.gater.ok(p)
}

// AddrUpdates subscribes to the host's address changes (its listen,
// observed, NAT and relay addresses): each event lists the current
// addresses. The caller closes the subscription.
func (s *Service) AddrUpdates() (event.Subscription, error) {
	return s.host.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated))
}
