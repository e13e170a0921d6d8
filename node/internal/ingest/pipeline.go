package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// Outcome is what became of an entry offered to the node, whoever relayed it.
type Outcome int

// Outcomes of an entry.
const (
	Stored    Outcome = iota // verified, chained and stored
	Duplicate                // already held: ignore
	Gap                      // ahead of our head: fetch the range by sync
	Rejected                 // forged, malformed, not a partner's, or a fork
)

// Result is the outcome and, for rejections, why.
type Result struct {
	Outcome Outcome
	Reason  string // a metric-friendly reason for rejections
	Entry   *protocol.Entry
	Err     error
}

// Config are a Pipeline's dependencies.
type Config struct {
	Self   crypto.PublicKey // this node's own feed, never appended from the network
	Store  Store
	Roster Roster
	Opener Opener
	Hooks  Hooks
	// Recovering reports whether the node is pulling its own feed back
	// (then its own entries are ingested like a partner's).
	Recovering func() bool
	Count      func(name string, n uint64) // adds to the node's counters
	Log        *slog.Logger
	// Done ends the wait of held pushes (the node's run context).
	Done <-chan struct{}
}

// Pipeline ingests entries (see the package doc). It is safe for
// concurrent use.
type Pipeline struct {
	cfg   Config
	heads *headSignal
}

// New returns a pipeline over cfg.
func New(cfg Config) *Pipeline {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{cfg: cfg, heads: newHeadSignal()}
}

// Ingest verifies an entry from the network and stores it, with its record
// when this node is in the audience.
func (pl *Pipeline) Ingest(raw []byte) Result { return pl.Commit(pl.prepare(raw)) }

// Prepared is an entry verified and opened, ready to be appended. The
// expensive work (signature, decryption) happens in preparing, so batches
// can prepare entries on every core and commit them in order.
type Prepared struct {
	e     *protocol.Entry
	code  string
	rec   *store.Record
	value any     // the parsed record, for reconciliation
	done  *Result // set when the entry is settled without appending
}

func (pl *Pipeline) prepare(raw []byte) Prepared {
	if pl.holds(raw) {
		return Prepared{done: &Result{Outcome: Duplicate}}
	}
	e, err := protocol.DecodeEntry(raw)
	return pl.prepareRun(raw, e, err, false)
}

// holds reports whether raw is an entry this node already stores, byte for
// byte (author and seq read unverified from their offsets: only identical
// bytes, verified when stored, count). Sync ranges often race the push of
// the same entries; this spares verifying and opening them twice.
func (pl *Pipeline) holds(raw []byte) bool {
	feed, seq, ok := PeekEntry(raw)
	if !ok {
		return false
	}
	held, err := pl.cfg.Store.Holds(feed, seq, raw)
	return err == nil && held
}

// prepareDecoded checks a verified entry's author and opens its record.
// With atHead, an entry at or below its feed's head (a duplicate or a
// fork) is not decrypted: heads only grow, so the append will refuse it.
func (pl *Pipeline) prepareDecoded(e *protocol.Entry, atHead bool) Prepared {
	code, ok := pl.cfg.Roster.FeedCode(e.Author)
	if !ok {
		r := pl.Reject("not_partner", e, fmt.Errorf("author %s is not a pinned partner", e.Author.Fingerprint()))
		return Prepared{done: &r}
	}
	if f, ok := pl.cfg.Roster.ClosedAt(e.Author); ok && e.Seq > f.ValidThrough {
		r := pl.refuseRetired(code, e, f)
		return Prepared{done: &r}
	}
	if e.Author == pl.cfg.Self && !pl.cfg.Recovering() {
		r := pl.classifyOwn(e)
		return Prepared{done: &r}
	}
	if atHead {
		if h, err := pl.cfg.Store.Head(e.Author); err == nil && e.Seq <= h.Seq {
			return Prepared{e: e, code: code}
		}
	}
	rec, value := pl.cfg.Opener.Open(code, e)
	return Prepared{e: e, code: code, rec: rec, value: value}
}

// Pushed entries arrive out of order (gossipsub validates in parallel). An
// entry at most pushHoldWindow ahead of its feed's head waits up to
// pushHoldMax for the entries before it, instead of being dropped and
// fetched again by sync.
const (
	pushHoldWindow = 64
	pushHoldMax    = 50 * time.Millisecond
)

// Push ingests a pushed entry, holding it briefly when it is a few
// entries ahead of the head.
func (pl *Pipeline) Push(raw []byte) Result {
	e, err := protocol.DecodeEntry(raw)
	if err != nil {
		return pl.Reject("malformed", nil, err)
	}
	deadline := time.Now().Add(pushHoldMax)
	p := pl.prepareDecoded(e, true)
	for {
		wake := pl.heads.wait(e.Author)
		r := pl.Commit(p)
		if r.Outcome != Gap || !pl.worthHolding(e) {
			return r
		}
		pl.cfg.Count("push_held", 1)
		select {
		case <-wake:
		case <-time.After(time.Until(deadline)):
			pl.cfg.Count("push_gap", 1)
			return r
		case <-pl.cfg.Done:
			return r
		}
	}
}

func (pl *Pipeline) worthHolding(e *protocol.Entry) bool {
	h, err := pl.cfg.Store.Head(e.Author)
	return err == nil && e.Seq <= h.Seq+pushHoldWindow
}

// Commit appends a prepared entry to its feed.
func (pl *Pipeline) Commit(p Prepared) Result {
	if p.done != nil {
		return *p.done
	}
	// A hand-over committed since p was prepared (same batch) closes the feed.
	if f, ok := pl.cfg.Roster.ClosedAt(p.e.Author); ok && p.e.Seq > f.ValidThrough {
		return pl.refuseRetired(p.code, p.e, f)
	}
	return pl.appendOutcome(p, pl.cfg.Store.Append(p.e, p.rec))
}

// prepareRun checks and opens an entry already decoded (by
// [protocol.DecodeBatch] or DecodeEntry) into e, or refused with err;
// mayBeHeld is false when the entry is known not to be held (above its
// feed's head, or looked up already), which spares the Holds read.
func (pl *Pipeline) prepareRun(raw []byte, e *protocol.Entry, err error, mayBeHeld bool) Prepared {
	if mayBeHeld && pl.holds(raw) {
		return Prepared{done: &Result{Outcome: Duplicate}}
	}
	if err != nil {
		r := pl.Reject("malformed", nil, err)
		return Prepared{done: &r}
	}
	return pl.prepareDecoded(e, false)
}

func (pl *Pipeline) appendOutcome(p Prepared, err error) Result {
	e := p.e
	switch {
	case err == nil:
		pl.heads.advanced(e.Author)
		pl.cfg.Count("entries_received", 1)
		pl.cfg.Hooks.Stored(p.code, e, p.rec, p.value)
		return Result{Outcome: Stored, Entry: e}
	case errors.Is(err, store.ErrExists):
		return Result{Outcome: Duplicate, Entry: e}
	case errors.Is(err, protocol.ErrSeqGap):
		return Result{Outcome: Gap, Entry: e, Err: err}
	case errors.Is(err, store.ErrEquivocation), errors.Is(err, protocol.ErrBrokenChain):
		pl.cfg.Log.Warn("equivocation: two different entries for one position of a feed", "feed", p.code, "seq", e.Seq, "err", err)
		pl.cfg.Hooks.Equivocation(p.code, e)
		return pl.Reject("equivocation", e, err)
	}
	return pl.Reject("store", e, err)
}

// classifyOwn handles this node's own entries coming back from partners: it
// never appends them from the network (a restored node must not fork its
// feed), but a different entry at a position it holds is evidence of a
// stolen key.
func (pl *Pipeline) classifyOwn(e *protocol.Entry) Result {
	have, err := pl.cfg.Store.Entry(e.Author, e.Seq)
	if err == nil && have.Hash() == e.Hash() {
		return Result{Outcome: Duplicate, Entry: e}
	}
	if err == nil {
		pl.cfg.Log.Error("an entry signed with this node's key differs from ours: the key may be compromised", "seq", e.Seq)
		return pl.Reject("equivocation", e, fmt.Errorf("own feed seq %d: %w", e.Seq, store.ErrEquivocation))
	}
	return Result{Outcome: Duplicate, Entry: e}
}

// Reject counts a refused entry (e may be nil when it did not decode) by
// reason and returns its result.
func (pl *Pipeline) Reject(reason string, e *protocol.Entry, err error) Result {
	pl.cfg.Count("rejected_"+reason, 1)
	return Result{Outcome: Rejected, Reason: reason, Entry: e, Err: err}
}

// refuseRetired refuses an entry of a retired key after its last valid
// seq, keeping it as evidence.
func (pl *Pipeline) refuseRetired(code string, e *protocol.Entry, f roster.Closed) Result {
	if err := pl.cfg.Store.KeepRefused(e.Author, e.Seq, e.Bytes(), roster.RefusedReason(f.Reason)); err != nil {
		pl.cfg.Log.Warn("keep refused entry", "feed", code, "seq", e.Seq, "err", err)
	}
	pl.cfg.Log.Warn("entry signed by a retired key after its last valid seq refused", "feed", code, "seq", e.Seq, "valid_through", f.ValidThrough)
	pl.cfg.Hooks.RetiredEntry(code, e, f)
	return pl.Reject("retired_key", e, fmt.Errorf("feed of %s's retired key %s is closed after seq %d", code, e.Author.Fingerprint(), f.ValidThrough))
}
