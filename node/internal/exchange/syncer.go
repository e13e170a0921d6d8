package exchange

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// receiptDelay batches receipts after pushed entries: pushes from one
// author within it produce one receipt session (and a hello sent to the
// author meanwhile carries the receipt instead). Shorter delays cost
// latency: in a 10-node mesh receipt sessions at 200 ms took a third of the
// CPU and tripled the publish-to-stored p50; in a 20-node mesh publishing
// every 20 ms, 1 s made 155 sessions a second and a p99 of 15-80 ms, 3 s
// makes 32 and 12-15 ms (docs/performance.md). A receipt is proof of
// delivery for the author's status, where 3 s is still "a few seconds".
// Each delay is drawn from receiptDelay ± receiptJitter: the pushes of a
// burst start every partner's timer at once, and equal delays brought
// the sessions back as one wave.
const (
	receiptDelay  = 3 * time.Second
	receiptJitter = time.Second
)

// receiptWait is a receipt session's delay, spread over receiptDelay ±
// receiptJitter.
func receiptWait() time.Duration {
	return receiptDelay - receiptJitter + rand.N(2*receiptJitter)
}

// maxConcurrentSyncs bounds the sync sessions this node initiates at once.
const maxConcurrentSyncs = 8

// syncer schedules pull sessions: at most one at a time per partner, with
// triggers that arrive during a session coalesced into one more session.
// It only schedules: the sessions, and who is connected, are its
// syncDriver's.
type syncer struct {
	d   syncDriver
	ctx context.Context
	sem chan struct{}
	wg  sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	running map[peer.ID]bool
	again   map[peer.ID]bool
	pending map[peer.ID]*time.Timer
	closed  bool
}

// syncDriver is what the syncer schedules sessions for: the service.
type syncDriver interface {
	// connectedPartners lists the partners connected now.
	connectedPartners() []peer.ID
	// quiet reports whether partner p was last heard from over sync
	// before since.
	quiet(p peer.ID, since time.Time) bool
	// session runs one pull session with p if it is connected, and
	// records its outcome.
	session(ctx context.Context, p peer.ID)
	// now is the node's clock.
	now() time.Time
}

func newSyncer(ctx context.Context, d syncDriver) *syncer {
	return &syncer{d: d, ctx: ctx, sem: make(chan struct{}, maxConcurrentSyncs),
		running: map[peer.ID]bool{}, again: map[peer.ID]bool{}, pending: map[peer.ID]*time.Timer{}}
}

// trigger asks for a session with p now (or right after the running one).
func (s *syncer) trigger(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.running[p] {
		s.again[p] = true
		return
	}
	s.running[p] = true
	s.wg.Add(1)
	go s.run(p)
}

// triggerAll asks for a session with every connected partner.
func (s *syncer) triggerAll() {
	for _, p := range s.d.connectedPartners() {
		s.trigger(p)
	}
}

// receiptDue schedules a session with the author of a pushed entry soon, so
// that it gets this node's receipt. Any hello this node sends the author
// before then carries the receipt and cancels the session (receiptSent).
func (s *syncer) receiptDue(author crypto.PublicKey) {
	p, err := peer.Decode(author.PeerID())
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.pending[p] != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(receiptWait(), func() {
		s.mu.Lock()
		due := s.pending[p] == t // else a hello carried the receipt first
		if due {
			delete(s.pending, p)
		}
		s.mu.Unlock()
		if due {
			s.trigger(p)
		}
	})
	s.pending[p] = t
}

// receiptSent cancels the receipt session due with p: the caller is about
// to read its heads for a hello to p, which carries the receipt. Entries
// stored after this call schedule a new one. In a network where partners
// publish to each other, one session then carries the receipts of both
// sides (the initiator's hello and the responder's), instead of each
// running its own.
// Should the hello then fail to go out (the connection dropped), the
// receipt goes in the session that follows the reconnection, after the
// next pushed entry of p, or in the next periodic session either way.
func (s *syncer) receiptSent(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.pending[p]; t != nil {
		t.Stop()
		delete(s.pending, p)
	}
}

func (s *syncer) run(p peer.ID) {
	defer s.wg.Done()
	for {
		s.session(p)
		s.mu.Lock()
		if !s.again[p] || s.closed {
			delete(s.running, p)
			delete(s.again, p)
			s.mu.Unlock()
			return
		}
		s.again[p] = false
		s.mu.Unlock()
	}
}

func (s *syncer) session(p peer.ID) {
	select {
	case s.sem <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	defer func() { <-s.sem }()
	s.d.session(s.ctx, p)
}

// syncLink drives the syncer's sessions through the service.
type syncLink struct{ n *Service }

func (l syncLink) connectedPartners() []peer.ID { return l.n.connectedPartners() }

func (l syncLink) quiet(p peer.ID, since time.Time) bool {
	return l.n.delivery.get(p).lastContact.Before(since)
}

func (l syncLink) now() time.Time { return l.n.now() }

func (l syncLink) session(ctx context.Context, p peer.ID) {
	n := l.n
	if !n.Connected(p) { // reach: sync runs over a relay too (Connected counts a relayed link)
		return
	}
	n.count("sync_sessions", 1)
	err := n.SyncSession(ctx, p)
	n.delivery.syncDone(p, n.now(), err)
	if err != nil && ctx.Err() == nil {
		n.count("sync_failed", 1)
		n.log.Debug("sync session failed", "peer", p, "err", err)
	}
}

// loop triggers, each interval until the context ends, a session with
// every connected partner not heard from over sync in the last half
// interval: a session the partner started told it this node's heads, and
// told this node the partner's (a node serving a hello that shows more
// than it holds pulls at once, see serve), so a second one would only
// repeat it. With 60 partners this halves an idle node's sessions.
func (s *syncer) loop(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.triggerQuiet(s.d.now().Add(-interval / 2))
		}
	}
}

// triggerQuiet asks for a session with every connected partner last heard
// from over sync before since.
func (s *syncer) triggerQuiet(since time.Time) {
	for _, p := range s.d.connectedPartners() {
		if s.d.quiet(p, since) {
			s.trigger(p)
		}
	}
}

// close stops scheduling and waits for running sessions (the context must
// already be cancelled).
func (s *syncer) close() {
	s.mu.Lock()
	s.closed = true
	for _, t := range s.pending {
		t.Stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
