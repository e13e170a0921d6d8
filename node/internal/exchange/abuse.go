package exchange

import (
	"errors"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Sync abuse points. A partner's points feed the application-specific part
// of its gossipsub score (one point lowers the score by one), so a partner
// that misbehaves on the sync protocol is graylisted on gossip too.
const (
	// abuseViolation is charged for a frame or entry that a correct peer
	// never sends: an oversized, truncated, malformed or unexpected frame,
	// or a relayed entry that fails its signature.
	abuseViolation = 100.0
	// abuseStall is charged when a frame does not arrive within the frame
	// deadline: a slow-loris stream, or a link that died mid-frame, which
	// is why it costs a quarter of a violation.
	abuseStall = 25.0
	// abuseHalfLife is how fast points are forgiven.
	abuseHalfLife = 10 * time.Minute
)

// abuse keeps, per peer, the sync abuse points (decaying) and counts of
// what was charged, for peer scoring and status.
type abuse struct {
	now func() time.Time

	mu     sync.Mutex // guards byPeer
	byPeer map[peer.ID]*abuseRecord
}

// abuseRecord is one peer's sync abuse.
type abuseRecord struct {
	points     float64   // as of updated
	updated    time.Time // when points were last decayed
	violations uint64
	stalls     uint64
}

func newAbuse(now func() time.Time) *abuse {
	return &abuse{now: now, byPeer: map[peer.ID]*abuseRecord{}}
}

// syncError charges p for the error a sync session with it ended with, if
// the error is the peer's doing, and returns the kind charged ("" if none).
func (a *abuse) syncError(p peer.ID, err error) string {
	kind := classifySyncError(err)
	switch kind {
	case "violation":
		a.charge(p, abuseViolation, func(r *abuseRecord) { r.violations++ })
	case "stall":
		a.charge(p, abuseStall, func(r *abuseRecord) { r.stalls++ })
	}
	return kind
}

// classifySyncError tells a peer's misbehaviour ("violation", "stall")
// from what happens to honest peers too (resets, closed connections, our
// own shutdown, a fork it relays in good faith): "".
func classifySyncError(err error) string {
	switch {
	case err == nil:
		return ""
	case frameTimedOut(err):
		return "stall"
	case errors.Is(err, errProtocol), errors.Is(err, ErrRelayedForgery),
		errors.Is(err, protocol.ErrTooLarge), errors.Is(err, protocol.ErrTruncated),
		errors.Is(err, protocol.ErrMalformed), errors.Is(err, protocol.ErrUnknownFrame),
		errors.Is(err, protocol.ErrBadSignature), errors.Is(err, protocol.ErrVersion),
		errors.Is(err, io.ErrUnexpectedEOF):
		return "violation"
	}
	return ""
}

// frameTimedOut reports a frame deadline that passed (each transport has its
// own error for it).
func frameTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// falseClaim charges p a violation for a receipt or head that is not
// true of this node's chains (refuseReceipt, refuteClaims).
func (a *abuse) falseClaim(p peer.ID) {
	a.charge(p, abuseViolation, func(r *abuseRecord) { r.violations++ })
}

func (a *abuse) charge(p peer.ID, points float64, count func(*abuseRecord)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.record(p)
	r.points += points
	count(r)
}

// record returns p's record with its points decayed to now.
func (a *abuse) record(p peer.ID) *abuseRecord {
	now := a.now()
	r, ok := a.byPeer[p]
	if !ok {
		r = &abuseRecord{updated: now}
		a.byPeer[p] = r
	}
	if dt := now.Sub(r.updated); dt > 0 {
		r.points *= math.Exp2(-dt.Seconds() / abuseHalfLife.Seconds())
		r.updated = now
	}
	return r
}

// score is the application-specific score of p: minus its points. It is
// called by gossipsub under its own lock, so it only takes a.mu.
func (a *abuse) score(p peer.ID) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.byPeer[p]; !ok {
		return 0
	}
	return -a.record(p).points
}

// get returns a copy of p's record, decayed to now.
func (a *abuse) get(p peer.ID) abuseRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.byPeer[p]; !ok {
		return abuseRecord{}
	}
	return *a.record(p)
}

func (a *abuse) forget(p peer.ID) {
	a.mu.Lock()
	delete(a.byPeer, p)
	a.mu.Unlock()
}
