package exchange

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// errServeBusy is returned by a served session that this node ends
// because a partner spent what it may ask for (per session, per day, or
// sessions at once). It is not the partner's fault as such: it is told
// with a busy Error (code 3) and continues in a later session, unpenalised.
var errServeBusy = errors.New("serving limit reached")

// serveLimits bound what this node serves one partner (DESIGN.md: "bounded
// per request, per session and per day"; docs/protocol.md §11.2). The
// per-Want bounds cut an answer short, which the protocol allows (the
// puller asks for the rest in its next Want); the others end the session
// with a busy Error.
type serveLimits struct {
	wantEntries   int   // entries served in answer to one Want
	wantBytes     int   // bytes of entries served in answer to one Want
	sessionBytes  int64 // bytes of entries served in one session
	sessionRanges int   // ranges asked for in one session
	dayBytes      int64 // bytes of entries served a partner per day
	dayRanges     int   // ranges a partner may ask for per day
	sessions      int   // sessions a partner may have served at once
}

// defaultServeLimits are the production limits. A catch-up of 100,000
// entries of ~1 KiB (BenchmarkCatchUp) asks 13 Wants of at most 8,192
// entries (protocol.WantBatch) and about 100 MiB in all: it fits one
// session. An honest puller runs one session at a time with a partner;
// two leave room for a session that starts while the last one's stream
// closes. A day's 16 GiB is a bound against a partner that re-asks the
// same entries session after session, not a quota an honest partner
// meets: pulling 16 million 1 KiB entries from one partner in a day. The
// ranges asked for are bounded too, served or not: each costs a store
// seek, and a partner could otherwise ask for feeds this node does not
// hold session after session (a catch-up of 60 feeds of a million
// entries asks about 7,300).
func defaultServeLimits() serveLimits {
	return serveLimits{
		wantEntries:   4 * protocol.WantBatch,
		wantBytes:     64 << 20,
		sessionBytes:  1 << 30,
		sessionRanges: 64 * protocol.MaxWantRanges,
		dayBytes:      16 << 30,
		dayRanges:     1 << 20,
		sessions:      MaxServedSessions,
	}
}

// MaxServedSessions is how many sync sessions of one partner this node
// serves at once.
const MaxServedSessions = 2

// serveLedger keeps, per partner, the sessions this node is serving it
// and the bytes it served it today, across sessions.
type serveLedger struct {
	limits serveLimits
	now    func() time.Time

	mu     sync.Mutex // guards byPeer
	byPeer map[peer.ID]*serveUse
}

// serveUse is one partner's use of this node's serving.
type serveUse struct {
	active    int       // sessions being served
	dayStart  time.Time // start of the current day's window
	dayBytes  int64     // bytes served since dayStart
	dayRanges int       // ranges asked for since dayStart
}

func newServeLedger(l serveLimits, now func() time.Time) *serveLedger {
	return &serveLedger{limits: l, now: now, byPeer: map[peer.ID]*serveUse{}}
}

// open admits a served session of p, unless p already has the most at
// once; the caller must call close after an admitted session.
func (l *serveLedger) open(p peer.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.use(p)
	if u.active >= l.limits.sessions {
		return fmt.Errorf("%w: %d sessions at once, limit %d", errServeBusy, u.active+1, l.limits.sessions)
	}
	u.active++
	return nil
}

func (l *serveLedger) close(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.use(p).active--
}

// dayLeft returns the bytes p may still be served today.
func (l *serveLedger) dayLeft(p peer.ID) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.limits.dayBytes-l.use(p).dayBytes, 0)
}

// ask counts n ranges asked for by p today and reports whether they are
// within the day's limit.
func (l *serveLedger) ask(p peer.ID, n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.use(p)
	u.dayRanges += n
	return u.dayRanges <= l.limits.dayRanges
}

// spend counts n bytes served to p today.
func (l *serveLedger) spend(p peer.ID, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.use(p).dayBytes += int64(n)
}

// use returns p's record, its day window renewed when a day has passed.
func (l *serveLedger) use(p peer.ID) *serveUse {
	u, ok := l.byPeer[p]
	if !ok {
		u = &serveUse{}
		l.byPeer[p] = u
	}
	if now := l.now(); now.Sub(u.dayStart) >= 24*time.Hour {
		u.dayStart, u.dayBytes, u.dayRanges = now, 0, 0
	}
	return u
}

func (l *serveLedger) forget(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u, ok := l.byPeer[p]; ok && u.active == 0 {
		delete(l.byPeer, p)
	}
}

// serveSession is what one served session has cost so far, and the
// entries it sent: a session never asks for the same entry twice.
type serveSession struct {
	p      peer.ID
	ledger *serveLedger
	limits serveLimits
	bytes  int64
	ranges int
	sent   map[crypto.PublicKey][]span // entries sent, per feed, disjoint
}

// span is entries from..to of a feed.
type span struct{ from, to uint64 }

func newServeSession(p peer.ID, l *serveLedger) *serveSession {
	return &serveSession{p: p, ledger: l, limits: l.limits, sent: map[crypto.PublicKey][]span{}}
}

// admit checks a Want against the session: a range that asks again for
// an entry already sent in this session is a protocol violation (an
// honest puller asks from what it stored on); past the session's budget
// it is errServeBusy. The decoder already refused ranges that overlap
// each other (protocol.ErrOverlap).
func (s *serveSession) admit(ranges []protocol.Range) error {
	for i, r := range ranges {
		if sp, ok := s.sentAgain(r); ok {
			return fmt.Errorf("%w: range %d asks again for entries %d..%d of feed %s, sent in this session",
				errProtocol, i, max(r.From, sp.from), min(r.To, sp.to), r.Feed.Fingerprint())
		}
	}
	s.ranges += len(ranges)
	switch {
	case s.ranges > s.limits.sessionRanges:
		return fmt.Errorf("%w: %d ranges asked in this session, limit %d", errServeBusy, s.ranges, s.limits.sessionRanges)
	case !s.ledger.ask(s.p, len(ranges)):
		return fmt.Errorf("%w: ranges asked today over the limit of %d", errServeBusy, s.limits.dayRanges)
	case s.bytes >= s.limits.sessionBytes:
		return fmt.Errorf("%w: %d bytes served in this session, limit %d", errServeBusy, s.bytes, s.limits.sessionBytes)
	case s.ledger.dayLeft(s.p) == 0:
		return fmt.Errorf("%w: %d bytes served today, limit %d", errServeBusy, s.limits.dayBytes, s.limits.dayBytes)
	}
	return nil
}

// sentAgain returns a span of r's feed already sent that r overlaps.
// The spans are sorted and disjoint: a binary search finds it.
func (s *serveSession) sentAgain(r protocol.Range) (span, bool) {
	spans := s.sent[r.Feed]
	i, _ := slices.BinarySearchFunc(spans, r.From, func(sp span, from uint64) int { return cmp.Compare(sp.to, from) })
	if i < len(spans) && spans[i].from <= r.To {
		return spans[i], true
	}
	return span{}, false
}

// budget returns what one Want may be served: entries and bytes, the
// least of the Want's, the session's and the day's limits.
func (s *serveSession) budget() wantBudget {
	bytes := min(int64(s.limits.wantBytes), s.limits.sessionBytes-s.bytes, s.ledger.dayLeft(s.p))
	return wantBudget{entries: s.limits.wantEntries, bytes: int(max(bytes, 0))}
}

// sentRange records entries from..to of feed as sent, n bytes in all.
// They were not sent before in this session (admit).
func (s *serveSession) sentRange(feed crypto.PublicKey, from, to uint64, n int) {
	if to < from {
		return
	}
	spans := s.sent[feed]
	i, _ := slices.BinarySearchFunc(spans, from, func(sp span, from uint64) int { return cmp.Compare(sp.to, from) })
	if i > 0 && spans[i-1].to+1 == from {
		spans[i-1].to = to // the common case: a puller asking on from where it stopped
	} else {
		spans = slices.Insert(spans, i, span{from, to})
	}
	s.sent[feed] = spans
	s.bytes += int64(n)
	s.ledger.spend(s.p, n)
}

// wantBudget is what is left to serve of one Want.
type wantBudget struct {
	entries int
	bytes   int
}

// takes reports whether an entry of size bytes still fits: the first
// entry of an answer always does when any byte is left, so that an entry
// larger than the budget does not block a feed for ever.
func (b *wantBudget) takes(size int, first bool) bool {
	if b.entries <= 0 || b.bytes <= 0 || (size > b.bytes && !first) {
		return false
	}
	b.entries--
	b.bytes -= size
	return true
}
