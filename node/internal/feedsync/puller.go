package feedsync

import (
	"fmt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Puller is the decision logic of the initiator of a sync session, as a
// deterministic state machine with no I/O: it is told the frames received
// and the entries stored, and answers with the next frame to send. The
// transcript tests in testdata/pull drive it directly. A Puller serves one
// session on one goroutine.
type Puller struct {
	accept func(crypto.PublicKey) bool
	local  map[crypto.PublicKey]uint64 // our head seq per feed, advanced as entries are stored
	remote map[crypto.PublicKey]uint64 // the partner's heads from its hello
	state  pullState
	asked  map[crypto.PublicKey]protocol.Range // the ranges of the current want
	round  int                                 // entries stored in the current round
	total  int                                 // entries stored in the session
	dry    bool                                // the session finished on an answer that brought nothing new
}

type pullState int

const (
	awaitHello   pullState = iota // our hello sent, waiting for the partner's
	awaitEntries                  // a want sent, waiting for entries and end
	pullDone                      // finished or failed
)

// Step is what the driver must do next: send a want with these ranges,
// finish the session (final hello and empty want), or abort with err.
type Step struct {
	Want   []protocol.Range
	Finish bool
	Err    error
}

// New returns the puller of a session: local are this node's heads (the
// puller advances them as entries are stored: the caller's map), accept
// says which feeds it pulls.
func New(local map[crypto.PublicKey]uint64, accept func(crypto.PublicKey) bool) *Puller {
	return &Puller{accept: accept, local: local, state: awaitHello}
}

// Held returns this node's head of feed as the session has advanced it.
func (p *Puller) Held(feed crypto.PublicKey) uint64 { return p.local[feed] }

// Hello takes the partner's heads and decides the first want.
func (p *Puller) Hello(remote map[crypto.PublicKey]uint64) Step {
	if p.state != awaitHello {
		return p.Fail(fmt.Errorf("%w: hello out of turn", ErrProtocol))
	}
	p.remote = remote
	return p.next()
}

// Entry checks that an entry of feed at seq, about to be ingested, is the
// next one of an asked range, in order.
func (p *Puller) Entry(feed crypto.PublicKey, seq uint64) error {
	return p.entryAfter(feed, seq, p.local[feed])
}

// entryAfter is entry with the feed's head at local.
func (p *Puller) entryAfter(feed crypto.PublicKey, seq, local uint64) error {
	r, ok := p.asked[feed]
	switch {
	case p.state != awaitEntries:
		return fmt.Errorf("%w: entries out of turn", ErrProtocol)
	case !ok || seq < r.From || seq > r.To:
		return fmt.Errorf("%w: entry %d of a feed or range not asked for", ErrProtocol, seq)
	case seq != local+1:
		return fmt.Errorf("%w: entry %d out of order, want %d", ErrProtocol, seq, local+1)
	}
	return nil
}

// AcceptsRun reports whether entries, in order, would each pass entry if
// every one before it were stored. It records nothing.
func (p *Puller) AcceptsRun(es []*protocol.Entry) bool {
	heads := make(map[crypto.PublicKey]uint64, 1)
	for _, e := range es {
		local, ok := heads[e.Author]
		if !ok {
			local = p.local[e.Author]
		}
		if p.entryAfter(e.Author, e.Seq, local) != nil {
			return false
		}
		heads[e.Author] = e.Seq
	}
	return true
}

// Stored records an entry ingested (new or already held).
func (p *Puller) Stored(feed crypto.PublicKey, seq uint64, isNew bool) {
	p.local[feed] = seq
	if isNew {
		p.round++
		p.total++
	}
}

// More reports whether the session should be followed by another at
// once: it stored new entries, and the partner announced still more than
// it served (a responder's session limits cut it short: docs/protocol.md
// §11.2). A session that stored nothing is not followed: the next
// periodic one tries again.
func (p *Puller) More() bool {
	return p.total > 0 && len(protocol.WantFor(p.local, p.remote, p.accept, 1)) > 0
}

// End closes the current round and decides the next want. A round that
// brought nothing new ends the session: the partner announced more than it
// serves, and the next session will try again.
func (p *Puller) End() Step {
	if p.state != awaitEntries {
		return p.Fail(fmt.Errorf("%w: end out of turn", ErrProtocol))
	}
	if p.round == 0 {
		p.state, p.dry = pullDone, true
		return Step{Finish: true}
	}
	return p.next()
}

// Unserved reports whether a session that finished left feed behind the
// partner's announced head although the last Want asked for it and the
// answer brought nothing: the partner announced more of it than it
// serves.
func (p *Puller) Unserved(feed crypto.PublicKey) bool {
	_, asked := p.asked[feed]
	return p.dry && asked && p.remote[feed] > p.local[feed]
}

// Frame handles any other frame: a partner's error or a protocol violation.
func (p *Puller) Frame(f protocol.Frame) Step {
	if e, ok := f.(*protocol.SyncError); ok {
		return p.Fail(fmt.Errorf("partner reported: %w", e))
	}
	return p.Fail(fmt.Errorf("%w: unexpected %T", ErrProtocol, f))
}

func (p *Puller) next() Step {
	ranges := protocol.WantFor(p.local, p.remote, p.accept, MaxRange)
	if len(ranges) == 0 {
		p.state = pullDone
		return Step{Finish: true}
	}
	p.state, p.round = awaitEntries, 0
	p.asked = make(map[crypto.PublicKey]protocol.Range, len(ranges))
	for _, r := range ranges {
		p.asked[r.Feed] = r
	}
	return Step{Want: ranges}
}

func (p *Puller) Fail(err error) Step {
	p.state = pullDone
	return Step{Err: err}
}
