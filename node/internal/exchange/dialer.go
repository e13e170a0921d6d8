package exchange

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// Reconnection backoff: the first retry after minBackoff, doubling to
// maxBackoff while a partner stays unreachable. maxBackoff is what a
// partner may wait, after a flood or an outage ends, for the next dial:
// with a minute (and the swarm's own backoff, up to 5 minutes, on top)
// partners stayed apart up to 70 s after a flood of half-open connections.
// A dial of an unreachable partner costs a few packets.
const (
	minBackoff  = time.Second
	maxBackoff  = 10 * time.Second
	dialTimeout = 10 * time.Second
	dialTick    = 500 * time.Millisecond
)

// Direct dials of a partner linked only through a relay: the first
// minDirectBackoff after the relayed link is seen (DCUtR tries a hole
// punch first), doubling to maxDirectBackoff while it stays relayed. A
// partner that forwarded its port or moved to a public address is reached
// directly within maxDirectBackoff; one behind NAT costs a dial attempt
// that often.
const (
	minDirectBackoff = 30 * time.Second
	maxDirectBackoff = 5 * time.Minute
)

// dialer keeps the node connected to every pinned partner, retrying
// unreachable ones with exponential backoff. It knows the network only
// through its dialTarget, and the partners through peers and allowed.
type dialer struct {
	target  dialTarget
	peers   func() []peer.ID   // the partners' peers (the roster's)
	allowed func(peer.ID) bool // false while a partner is paused (the gater's)
	log     *slog.Logger
	wg      sync.WaitGroup

	mu    sync.Mutex // guards state
	state map[peer.ID]*dialState
}

type dialState struct {
	next    time.Time
	backoff time.Duration
	dialing bool
	direct  backoffState // direct dials while only relayed
}

// backoffState schedules the direct dials of a relayed partner.
type backoffState struct {
	next    time.Time // zero: not relayed, or not yet scheduled
	backoff time.Duration
}

// dialTarget is what the dialer dials through: the running host.
type dialTarget interface {
	// connected reports whether p is connected now.
	connected(p peer.ID) bool
	// connect dials p at its known addresses.
	connect(ctx context.Context, p peer.ID) error
	// relayed reports whether p is linked only through a relay.
	relayed(p peer.ID) bool
	// connectDirect dials p at its known direct addresses, even though a
	// relayed link exists.
	connectDirect(ctx context.Context, p peer.ID) error
}

func newDialer(target dialTarget, peers func() []peer.ID, allowed func(peer.ID) bool, log *slog.Logger) *dialer {
	return &dialer{target: target, peers: peers, allowed: allowed, log: log, state: map[peer.ID]*dialState{}}
}

// hostTarget dials through the node's host, each partner also through
// the other partners' relays.
type hostTarget struct {
	h        host.Host
	partners reach.Partners
}

func (t hostTarget) connected(p peer.ID) bool {
	return reach.Linked(t.h.Network().Connectedness(p)) // reach: a relayed partner is connected
}

// connect clears the swarm's backoff of p first: the dialer's own
// schedule decides when a partner is tried again.
func (t hostTarget) connect(ctx context.Context, p peer.ID) error {
	clearBackoff(t.h, p)
	reach.AddCircuitAddrs(t.h, p, t.partners) // reach: also through partners' relays
	return t.h.Connect(ctx, peer.AddrInfo{ID: p})
}

func (t hostTarget) relayed(p peer.ID) bool {
	return t.h.Network().Connectedness(p) == network.Limited
}

// connectDirect dials p directly: without the force, a host holding a
// relayed connection returns it and dials nothing.
func (t hostTarget) connectDirect(ctx context.Context, p peer.ID) error {
	clearBackoff(t.h, p)
	return t.h.Connect(network.WithForceDirectDial(ctx, "partner linked only through a relay"), peer.AddrInfo{ID: p})
}

// loop dials partners that are due until ctx ends, then waits for the dials
// it started.
func (d *dialer) loop(ctx context.Context) {
	t := time.NewTicker(dialTick)
	defer t.Stop()
	defer d.wg.Wait()
	for {
		d.dialDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *dialer) dialDue(ctx context.Context) {
	now := time.Now()
	for _, p := range d.peers() {
		if !d.allowed(p) {
			continue // paused
		}
		if d.target.connected(p) {
			d.reset(p)
			if d.target.relayed(p) && d.claimDirect(p, now) {
				d.wg.Add(1)
				go d.dialDirect(ctx, p)
			}
			continue
		}
		d.unrelayed(p)
		if d.claim(p, now) {
			d.wg.Add(1)
			go d.dial(ctx, p)
		}
	}
}

// claim marks p as being dialled if it is due.
func (d *dialer) claim(p peer.ID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stateOf(p)
	if s.dialing || now.Before(s.next) {
		return false
	}
	s.dialing = true
	return true
}

// stateOf returns p's dial state, made on first use; d.mu is held.
func (d *dialer) stateOf(p peer.ID) *dialState {
	s, ok := d.state[p]
	if !ok {
		s = &dialState{backoff: minBackoff}
		d.state[p] = s
	}
	return s
}

// attempt runs one claimed dial of p with connect, then hands its outcome
// to done under d.mu, unless p was forgotten meanwhile (partner removed).
func (d *dialer) attempt(ctx context.Context, p peer.ID, connect func(context.Context, peer.ID) error, done func(s *dialState, err error)) {
	defer d.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	err := connect(ctx, p)
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.state[p]; ok {
		s.dialing = false
		done(s, err)
	}
}

// dial connects to partner p.
func (d *dialer) dial(ctx context.Context, p peer.ID) {
	d.attempt(ctx, p, d.target.connect, func(s *dialState, err error) {
		if err == nil {
			s.backoff, s.next = minBackoff, time.Time{}
			return
		}
		s.next = time.Now().Add(s.backoff)
		s.backoff = min(2*s.backoff, maxBackoff)
		d.log.Debug("dial partner", "peer", p, "err", err, "retry_in", s.backoff)
	})
}

// claimDirect marks relayed partner p as being dialled directly if it is
// due; the first time it is seen relayed it is scheduled, not dialled.
func (d *dialer) claimDirect(p peer.ID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stateOf(p)
	if s.dialing {
		return false
	}
	if s.direct.next.IsZero() {
		s.direct = backoffState{next: now.Add(minDirectBackoff), backoff: minDirectBackoff}
		return false
	}
	if now.Before(s.direct.next) {
		return false
	}
	s.dialing = true
	return true
}

// dialDirect dials relayed partner p directly, and schedules the next
// try, later each time, for as long as it stays relayed.
func (d *dialer) dialDirect(ctx context.Context, p peer.ID) {
	d.attempt(ctx, p, d.target.connectDirect, func(s *dialState, err error) {
		s.direct.backoff = min(2*s.direct.backoff, maxDirectBackoff)
		s.direct.next = time.Now().Add(s.direct.backoff)
		if err != nil {
			d.log.Debug("direct dial of a relayed partner", "peer", p, "err", err, "retry_in", s.direct.backoff)
		}
	})
}

// reset makes p's next dial, once it is disconnected, immediate; a
// partner linked directly has no direct-dial schedule either.
func (d *dialer) reset(p peer.ID) {
	d.mu.Lock()
	if s, ok := d.state[p]; ok && !s.dialing {
		s.backoff, s.next = minBackoff, time.Time{}
	}
	d.mu.Unlock()
	if !d.target.relayed(p) {
		d.unrelayed(p)
	}
}

// unrelayed forgets p's direct-dial schedule: a relayed link found later
// starts it afresh.
func (d *dialer) unrelayed(p peer.ID) {
	d.mu.Lock()
	if s, ok := d.state[p]; ok {
		s.direct = backoffState{}
	}
	d.mu.Unlock()
}

// now makes a partner due at once (a new partner, a new address). A dial
// already running finishes first.
func (d *dialer) now(p peer.ID) {
	d.mu.Lock()
	if s, ok := d.state[p]; ok {
		s.backoff, s.next = minBackoff, time.Time{}
	}
	d.mu.Unlock()
}

// setAddrs replaces a partner's known addresses in the peerstore.
func setAddrs(h interface{ Peerstore() peerstore.Peerstore }, p peer.ID, addrs []string) {
	ps := h.Peerstore()
	ps.ClearAddrs(p)
	for _, s := range addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			ps.AddAddr(p, a, peerstore.PermanentAddrTTL)
		}
	}
}
