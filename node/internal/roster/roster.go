package roster

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Config are a Roster's dependencies.
type Config struct {
	Code  string           // this node's participant code
	ID    *crypto.Identity // this node's identity
	Store *store.Store     // where partners are kept
	Log   *slog.Logger
	Now   func() time.Time
	// Event appends to the node's event log (partner_paused, ...).
	Event func(kind string, fields map[string]any)
	// Count adds to one of the node's counters (rejected_retired_key, ...).
	Count func(name string, n uint64)
	// Standing says why a code is no active participant today by the
	// participant list in use, or "" when it is; nil says nothing.
	Standing func(code string) string
}

// Listener is told of each change to the roster, after the new snapshot
// is published, in order, on the changing goroutine. The network layer
// implements it: the roster decides who is a partner, the listener admits,
// dials and disconnects peers accordingly.
type Listener interface {
	// Admitted: partner p (peer pid) is pinned or its card changed; its
	// peer may connect, paused or not, at p's addresses.
	Admitted(p store.Partner, pid peer.ID)
	// Attach: partner p is to be joined and dialled by a running node.
	Attach(p store.Partner) error
	// Removed: partner p (peer pid) was unpinned.
	Removed(p store.Partner, pid peer.ID)
	// PeerRetired: the peer of a retired key is no longer admitted.
	PeerRetired(pid peer.ID)
	// AddrsSet: the operator changed the addresses of partner peer pid.
	AddrsSet(pid peer.ID, addrs []string)
	// Paused: the operator paused (or resumed) partner peer pid.
	Paused(pid peer.ID, paused bool)
	// FeedsChanged: the feeds kept or their codes changed (a partner
	// tracked or removed, a retired feed closed); views keyed by feed code
	// must be rebuilt.
	FeedsChanged()
}

// Roster is the single owner of the partners and the feeds this node
// keeps (see the package doc).
type Roster struct {
	cfg   Config
	cards cardCache
	cur   atomic.Pointer[Snapshot]

	// mu serialises changes: each reads the stored partner, writes it
	// back, publishes a snapshot and tells the listeners.
	mu        sync.Mutex
	listeners []Listener
}

// New returns a roster holding this node's own feed only; [Roster.Load]
// adds the stored partners.
func New(cfg Config) *Roster {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Event == nil {
		cfg.Event = func(string, map[string]any) {}
	}
	if cfg.Count == nil {
		cfg.Count = func(string, uint64) {}
	}
	r := &Roster{cfg: cfg}
	r.cur.Store(newSnapshot(cfg.ID.Public(), cfg.Code))
	return r
}

// Subscribe adds l to the listeners told of every later change.
func (r *Roster) Subscribe(l Listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, l)
}

// Snapshot returns the roster now.
func (r *Roster) Snapshot() *Snapshot { return r.cur.Load() }

// FeedCode is [Snapshot.FeedCode] of the roster now.
func (r *Roster) FeedCode(k crypto.PublicKey) (string, bool) { return r.Snapshot().FeedCode(k) }

// ClosedAt is [Snapshot.ClosedAt] of the roster now.
func (r *Roster) ClosedAt(k crypto.PublicKey) (Closed, bool) { return r.Snapshot().ClosedAt(k) }

// Load tracks every stored partner, and closes the retired feeds that run
// past their last valid seq (a crash may have come between a re-pin and
// its truncation).
func (r *Roster) Load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps, err := r.cfg.Store.Partners()
	if err != nil {
		return fmt.Errorf("load partners: %w", err)
	}
	for _, p := range ps {
		r.track(p)
		for _, k := range p.Retired {
			if _, err := r.closeRetired(p.Code, k.Key, k.ValidThrough, RefusedReason(k.Reason)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stored returns the pinned partners as stored; a failure to read them is
// logged and gives none.
func (r *Roster) Stored() []store.Partner {
	ps, err := r.cfg.Store.Partners()
	if err != nil {
		r.cfg.Log.Warn("list partners", "err", err)
	}
	return ps
}

// change publishes the snapshot edit makes of a copy of the current one.
// The caller holds r.mu.
func (r *Roster) change(edit func(s *Snapshot)) {
	s := r.cur.Load().clone()
	edit(s)
	r.cur.Store(s)
}

// track admits partner p: its feed is accepted and its peer may connect.
// The caller holds r.mu.
func (r *Roster) track(p store.Partner) {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return
	}
	var keys *Keys
	if sc, err := protocol.ParseCard(p.Card); err == nil {
		if keys, err = NewKeys(r.cfg.ID, sc.Recipient()); err != nil {
			r.cfg.Log.Warn("partner's age key is unusable; nothing will be sealed to it", "partner", p.Code, "err", err)
		}
	}
	r.change(func(s *Snapshot) {
		s.feeds[p.Key] = p.Code
		for _, k := range p.Retired {
			s.feeds[k.Key] = p.Code
			s.closed[k.Key] = Closed{ValidThrough: k.ValidThrough, Reason: k.Reason}
		}
		s.peers[pid] = p.Code
		if keys != nil {
			s.keys[p.Code] = keys
		}
	})
	for _, l := range r.listeners {
		l.FeedsChanged() // the partner's feeds have a code now
		l.Admitted(p, pid)
	}
}

// attach asks the listeners to join and dial partner p. The caller holds
// r.mu.
func (r *Roster) attach(p store.Partner) error {
	for _, l := range r.listeners {
		if err := l.Attach(p); err != nil {
			return err
		}
	}
	return nil
}

// untrack forgets a removed partner: its feed is refused and its peer
// too. The caller holds r.mu.
func (r *Roster) untrack(p store.Partner) {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return
	}
	r.change(func(s *Snapshot) {
		delete(s.feeds, p.Key)
		for _, k := range p.Retired {
			delete(s.feeds, k.Key)
			delete(s.closed, k.Key)
		}
		delete(s.peers, pid)
		delete(s.keys, p.Code)
	})
	for _, l := range r.listeners {
		l.FeedsChanged() // the partner's feeds have no code now
		l.Removed(p, pid)
	}
}

// TrackClosed keeps feed k (participant code's) readable and closed after
// f.ValidThrough.
func (r *Roster) TrackClosed(k crypto.PublicKey, code string, f Closed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trackClosed(k, code, f)
}

func (r *Roster) trackClosed(k crypto.PublicKey, code string, f Closed) {
	r.change(func(s *Snapshot) {
		s.feeds[k] = code
		s.closed[k] = f
	})
	for _, l := range r.listeners {
		l.FeedsChanged() // feed k has a code now
	}
}

// forgetPeer refuses the peer of a retired key. The caller holds r.mu.
func (r *Roster) forgetPeer(k crypto.PublicKey) {
	pid, err := peer.Decode(k.PeerID())
	if err != nil {
		return
	}
	r.change(func(s *Snapshot) { delete(s.peers, pid) })
	for _, l := range r.listeners {
		l.PeerRetired(pid)
	}
}
