package node

import (
	"fmt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// puller is the decision logic of the initiator of a sync session, as a
// deterministic state machine with no I/O: it is told the frames received
// and the entries stored, and answers with the next frame to send. The
// transcript tests in testdata/pull drive it directly.
type puller struct {
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

// pullStep is what the driver must do next: send a want with these ranges,
// finish the session (final hello and empty want), or abort with err.
type pullStep struct {
	want   []protocol.Range
	finish bool
	err    error
}

func newPuller(local map[crypto.PublicKey]uint64, accept func(crypto.PublicKey) bool) *puller {
	return &puller{accept: accept, local: local, state: awaitHello}
}

// hello takes the partner's heads and decides the first want.
func (p *puller) hello(remote map[crypto.PublicKey]uint64) pullStep {
	if p.state != awaitHello {
		return p.fail(fmt.Errorf("%w: hello out of turn", errProtocol))
	}
	p.remote = remote
	return p.next()
}

// entry checks that an entry of feed at seq, about to be ingested, is the
// next one of an asked range, in order.
func (p *puller) entry(feed crypto.PublicKey, seq uint64) error {
	return p.entryAfter(feed, seq, p.local[feed])
}

// entryAfter is entry with the feed's head at local.
func (p *puller) entryAfter(feed crypto.PublicKey, seq, local uint64) error {
	r, ok := p.asked[feed]
	switch {
	case p.state != awaitEntries:
		return fmt.Errorf("%w: entries out of turn", errProtocol)
	case !ok || seq < r.From || seq > r.To:
		return fmt.Errorf("%w: entry %d of a feed or range not asked for", errProtocol, seq)
	case seq != local+1:
		return fmt.Errorf("%w: entry %d out of order, want %d", errProtocol, seq, local+1)
	}
	return nil
}

// acceptsRun reports whether entries, in order, would each pass entry if
// every one before it were stored. It records nothing.
func (p *puller) acceptsRun(es []*protocol.Entry) bool {
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

// stored records an entry ingested (new or already held).
func (p *puller) stored(feed crypto.PublicKey, seq uint64, isNew bool) {
	p.local[feed] = seq
	if isNew {
		p.round++
		p.total++
	}
}

// more reports whether the session should be followed by another at
// once: it stored new entries, and the partner announced still more than
// it served (a responder's session limits cut it short: docs/protocol.md
// §11.2). A session that stored nothing is not followed: the next
// periodic one tries again.
func (p *puller) more() bool {
	return p.total > 0 && len(protocol.WantFor(p.local, p.remote, p.accept, 1)) > 0
}

// end closes the current round and decides the next want. A round that
// brought nothing new ends the session: the partner announced more than it
// serves, and the next session will try again.
func (p *puller) end() pullStep {
	if p.state != awaitEntries {
		return p.fail(fmt.Errorf("%w: end out of turn", errProtocol))
	}
	if p.round == 0 {
		p.state, p.dry = pullDone, true
		return pullStep{finish: true}
	}
	return p.next()
}

// unserved reports whether a session that finished left feed behind the
// partner's announced head although the last Want asked for it and the
// answer brought nothing: the partner announced more of it than it
// serves.
func (p *puller) unserved(feed crypto.PublicKey) bool {
	_, asked := p.asked[feed]
	return p.dry && asked && p.remote[feed] > p.local[feed]
}

// frame handles any other frame: a partner's error or a protocol violation.
func (p *puller) frame(f protocol.Frame) pullStep {
	if e, ok := f.(*protocol.SyncError); ok {
		return p.fail(fmt.Errorf("partner reported: %w", e))
	}
	return p.fail(fmt.Errorf("%w: unexpected %T", errProtocol, f))
}

func (p *puller) next() pullStep {
	ranges := protocol.WantFor(p.local, p.remote, p.accept, syncMaxRange)
	if len(ranges) == 0 {
		p.state = pullDone
		return pullStep{finish: true}
	}
	p.state, p.round = awaitEntries, 0
	p.asked = make(map[crypto.PublicKey]protocol.Range, len(ranges))
	for _, r := range ranges {
		p.asked[r.Feed] = r
	}
	return pullStep{want: ranges}
}

func (p *puller) fail(err error) pullStep {
	p.state = pullDone
	return pullStep{err: err}
}
