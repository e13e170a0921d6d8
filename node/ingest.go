package node

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// outcome is what became of an entry offered to the node, whoever relayed it.
type outcome int

const (
	outcomeStored    outcome = iota // verified, chained and stored
	outcomeDuplicate                // already held: ignore
	outcomeGap                      // ahead of our head: fetch the range by sync
	outcomeRejected                 // forged, malformed, not a partner's, or a fork
)

// ingestResult is the outcome and, for rejections, why.
type ingestResult struct {
	outcome outcome
	reason  string // a metric-friendly reason for rejections
	entry   *protocol.Entry
	err     error
}

// ingest verifies an entry from the network and stores it, with its record
// when this node is in the audience. The order of checks is fixed: decode
// and signature, author is a partner, then the chain as it is stored.
func (n *Node) ingest(raw []byte) ingestResult { return n.commit(n.prepare(raw)) }

// prepared is an entry verified and opened, ready to be appended. The
// expensive work (signature, decryption) happens here, so batches can
// prepare entries on every core and commit them in order.
type prepared struct {
	e     *protocol.Entry
	code  string
	rec   *store.Record
	value any           // the parsed record, for reconciliation
	done  *ingestResult // set when the entry is settled without appending
}

func (n *Node) prepare(raw []byte) prepared {
	if n.holds(raw) {
		return prepared{done: &ingestResult{outcome: outcomeDuplicate}}
	}
	e, err := protocol.DecodeEntry(raw)
	return n.prepareRun(raw, e, err, false)
}

// holds reports whether raw is an entry this node already stores, byte for
// byte (author and seq read unverified from their offsets: only identical
// bytes, verified when stored, count). Sync ranges often race the push of
// the same entries; this spares verifying and opening them twice.
func (n *Node) holds(raw []byte) bool {
	feed, seq, ok := peekEntry(raw)
	if !ok {
		return false
	}
	held, err := n.st.Holds(feed, seq, raw)
	return err == nil && held
}

// prepareDecoded checks a verified entry's author and opens its record.
// With atHead, an entry at or below its feed's head (a duplicate or a
// fork) is not decrypted: heads only grow, so the append will refuse it.
func (n *Node) prepareDecoded(e *protocol.Entry, atHead bool) prepared {
	code, ok := n.feedCode(e.Author)
	if !ok {
		r := n.reject("not_partner", e, fmt.Errorf("author %s is not a pinned partner", e.Author.Fingerprint()))
		return prepared{done: &r}
	}
	if f, ok := n.closedAt(e.Author); ok && e.Seq > f.validThrough {
		r := n.refuseRetired(code, e, f)
		return prepared{done: &r}
	}
	if e.Author == n.id.Public() && !n.recovering() {
		r := n.classifyOwn(e)
		return prepared{done: &r}
	}
	if atHead {
		if h, err := n.st.Head(e.Author); err == nil && e.Seq <= h.Seq {
			return prepared{e: e, code: code}
		}
	}
	rec, value := n.openRecord(code, e)
	return prepared{e: e, code: code, rec: rec, value: value}
}

// Pushed entries arrive out of order (gossipsub validates in parallel). An
// entry at most pushHoldWindow ahead of its feed's head waits up to
// pushHoldMax for the entries before it, instead of being dropped and
// fetched again by sync.
const (
	pushHoldWindow = 64
	pushHoldMax    = 50 * time.Millisecond
)

// ingestPush ingests a pushed entry, holding it briefly when it is a few
// entries ahead of the head.
func (n *Node) ingestPush(raw []byte) ingestResult {
	e, err := protocol.DecodeEntry(raw)
	if err != nil {
		return n.reject("malformed", nil, err)
	}
	deadline := time.Now().Add(pushHoldMax)
	p := n.prepareDecoded(e, true)
	for {
		wake := n.heads.wait(e.Author)
		r := n.commit(p)
		if r.outcome != outcomeGap || !n.worthHolding(e) {
			return r
		}
		n.counters.add("push_held", 1)
		select {
		case <-wake:
		case <-time.After(time.Until(deadline)):
			n.counters.add("push_gap", 1)
			return r
		case <-n.runCtx.Done():
			return r
		}
	}
}

func (n *Node) worthHolding(e *protocol.Entry) bool {
	h, err := n.st.Head(e.Author)
	return err == nil && e.Seq <= h.Seq+pushHoldWindow
}

// commit appends a prepared entry to its feed.
func (n *Node) commit(p prepared) ingestResult {
	if p.done != nil {
		return *p.done
	}
	// A hand-over committed since p was prepared (same batch) closes the feed.
	if f, ok := n.closedAt(p.e.Author); ok && p.e.Seq > f.validThrough {
		return n.refuseRetired(p.code, p.e, f)
	}
	r := n.appendOutcome(p.code, p.e, n.st.Append(p.e, p.rec))
	if r.outcome == outcomeStored {
		n.reconcile(p.code, p.e.Author, p.e.Seq, p.e.Time, p.value)
		if p.e.Type == protocol.HandoverType {
			n.followHandover(p.code, p.e, p.rec)
		}
	}
	return r
}

// prepareAll prepares a frame's entries on every core, in chunks of
// verifyChunk consecutive entries that each core takes in turn: a chunk
// is decoded by [protocol.DecodeBatch], which verifies every entry's own
// signature in one batch (consecutive entries are mostly of one feed,
// whose signatures a batch checks together most cheaply), and its entries
// are then checked and opened as prepare does.
func (n *Node) prepareAll(raws [][]byte) []prepared {
	heads := n.frameHeads(raws)
	out := make([]prepared, len(raws))
	chunks := (len(raws) + verifyChunk - 1) / verifyChunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				lo, hi := c*verifyChunk, min((c+1)*verifyChunk, len(raws))
				n.prepareChunk(raws[lo:hi], heads, out[lo:hi])
			}
		})
	}
	wg.Wait()
	return out
}

// verifyChunk is how many entries a core decodes and verifies as one
// batch: past 64, a larger batch saves little per signature
// (crypto.BenchmarkBatchVerify), and smaller chunks keep the cores evenly
// busy.
const verifyChunk = 64

// prepareChunk decodes raws as one batch and prepares each into out.
func (n *Node) prepareChunk(raws [][]byte, heads map[crypto.PublicKey]uint64, out []prepared) {
	es, errs := protocol.DecodeBatch(raws)
	for i, raw := range raws {
		feed, seq, _ := peekEntry(raw)
		out[i] = n.prepareRun(raw, es[i], errs[i], seq <= heads[feed])
	}
}

// frameHeads reads, once per feed named in raws, the head stored now. An
// entry above it is not held (heads only grow; one appended meanwhile is
// found out by the append), which spares prepareRun a store read per entry
// of a catch-up. A feed whose head cannot be read maps to the largest seq,
// so that its entries are looked up one by one.
func (n *Node) frameHeads(raws [][]byte) map[crypto.PublicKey]uint64 {
	heads := map[crypto.PublicKey]uint64{}
	for _, raw := range raws {
		feed, _, ok := peekEntry(raw)
		if _, seen := heads[feed]; !ok || seen {
			continue
		}
		h, err := n.st.Head(feed)
		heads[feed] = h.Seq
		if err != nil {
			heads[feed] = math.MaxUint64
		}
	}
	return heads
}

// prepareRun checks and opens an entry already decoded (by
// [protocol.DecodeBatch] or DecodeEntry) into e, or refused with err;
// mayBeHeld is false when the entry is known not to be held (above its
// feed's head, or looked up already), which spares the Holds read.
func (n *Node) prepareRun(raw []byte, e *protocol.Entry, err error, mayBeHeld bool) prepared {
	if mayBeHeld && n.holds(raw) {
		return prepared{done: &ingestResult{outcome: outcomeDuplicate}}
	}
	if err != nil {
		r := n.reject("malformed", nil, err)
		return prepared{done: &r}
	}
	return n.prepareDecoded(e, false)
}

func (n *Node) appendOutcome(code string, e *protocol.Entry, err error) ingestResult {
	switch {
	case err == nil:
		n.heads.advanced(e.Author)
		n.counters.add("entries_received", 1)
		n.events.entryStored(code, e)
		if e.Author == n.id.Public() {
			n.checkRecovered()
		}
		return ingestResult{outcome: outcomeStored, entry: e}
	case errors.Is(err, store.ErrExists):
		return ingestResult{outcome: outcomeDuplicate, entry: e}
	case errors.Is(err, protocol.ErrSeqGap):
		return ingestResult{outcome: outcomeGap, entry: e, err: err}
	case errors.Is(err, store.ErrEquivocation), errors.Is(err, protocol.ErrBrokenChain):
		n.log.Warn("equivocation: two different entries for one position of a feed", "feed", code, "seq", e.Seq, "err", err)
		n.events.equivocation(code, e)
		return n.reject("equivocation", e, err)
	}
	return n.reject("store", e, err)
}

// classifyOwn handles this node's own entries coming back from partners: it
// never appends them from the network (a restored node must not fork its
// feed), but a different entry at a position it holds is evidence of a
// stolen key.
func (n *Node) classifyOwn(e *protocol.Entry) ingestResult {
	have, err := n.st.Entry(e.Author, e.Seq)
	if err == nil && have.Hash() == e.Hash() {
		return ingestResult{outcome: outcomeDuplicate, entry: e}
	}
	if err == nil {
		n.log.Error("an entry signed with this node's key differs from ours: the key may be compromised", "seq", e.Seq)
		return n.reject("equivocation", e, fmt.Errorf("own feed seq %d: %w", e.Seq, store.ErrEquivocation))
	}
	return ingestResult{outcome: outcomeDuplicate, entry: e}
}

func (n *Node) reject(reason string, e *protocol.Entry, err error) ingestResult {
	n.counters.add("rejected_"+reason, 1)
	return ingestResult{outcome: outcomeRejected, reason: reason, entry: e, err: err}
}

// openRecord decrypts an entry addressed to this node and parses its
// record. An entry it cannot open is still stored (the chain must stay
// whole) without its record.
func (n *Node) openRecord(code string, e *protocol.Entry) (*store.Record, any) {
	own := e.Author == n.id.Public() // pulled back while recovering
	if !own && !slices.Contains(e.Audience, n.cfg.Participant) {
		return nil, nil
	}
	body, salt, err := n.openAs(e, code)
	if err != nil {
		n.counters.add("unreadable", 1)
		n.log.Warn("entry addressed to this node cannot be opened", "feed", code, "seq", e.Seq, "err", err)
		return nil, nil
	}
	rec := &store.Record{Type: e.Type, Body: body, Salt: salt[:]}
	parsed, err := parseRecord(e.Type, body)
	if err != nil {
		n.counters.add("invalid_records", 1)
		n.log.Warn("record from a partner fails its validator; kept as received", "feed", code, "seq", e.Seq, "type", e.Type, "err", err)
		return rec, nil
	}
	// A record in another authority's name is signed by the feed's
	// author, whoever relayed it: kept as evidence under no key, and
	// reconcile's R13 reports it.
	keys, foreign := parsed.authoredKeys(code)
	if foreign > 0 {
		n.counters.add("foreign_author_records", uint64(foreign))
		n.log.Warn("record from a partner written in another authority's name; kept as evidence", "feed", code, "seq", e.Seq, "type", e.Type,
			"err", protocol.CheckAuthor(code, parsed.top))
	}
	rec.Keys = keys
	return rec, parsed.top
}

// openerFor returns the identity that opens records authored by code
// (this node or a partner): the static-static one when the author's age
// key is known, else the plain age identity.
func (n *Node) openerFor(code string) age.Identity {
	if code == n.cfg.Participant {
		return n.self.open
	}
	n.mu.Lock()
	k := n.keys[code]
	n.mu.Unlock()
	if k == nil {
		return n.id.AgeIdentity()
	}
	return k.open
}

// openAs opens e's record, authored by code, with this node's key, then
// with its retired ones: partners seal to the old recipient until they
// follow a hand-over. A retired key opens static-static stanzas made with
// the author's current age key, and standard X25519 ones.
func (n *Node) openAs(e *protocol.Entry, code string) ([]byte, [protocol.SaltSize]byte, error) {
	body, salt, err := protocol.OpenRecord(e, n.openerFor(code))
	for _, id := range n.retiredIDs {
		if err == nil || !errors.Is(err, crypto.ErrNotRecipient) {
			break
		}
		body, salt, err = protocol.OpenRecord(e, authorIdentity(id, n.authorRecipient(code, id)))
	}
	return body, salt, err
}

// authorRecipient is the age recipient of code's key as a retired identity
// id of this node knew it: id's own for this node's entries, else the
// partner's current one (nil when unknown).
func (n *Node) authorRecipient(code string, id *crypto.Identity) *age.X25519Recipient {
	if code == n.cfg.Participant {
		return id.Recipient()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := n.keys[code]; k != nil {
		return k.rcpt
	}
	return nil
}

// feedCode maps a feed author to its participant code, for this node and
// pinned partners only.
func (n *Node) feedCode(k crypto.PublicKey) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	code, ok := n.feeds[k]
	return code, ok
}

// headSignal wakes the pushes held for a feed whenever its head moves.
type headSignal struct {
	mu      sync.Mutex // guards waiting
	waiting map[crypto.PublicKey]chan struct{}
}

func newHeadSignal() *headSignal { return &headSignal{waiting: map[crypto.PublicKey]chan struct{}{}} }

// wait returns a channel closed at the next advance of feed k.
func (s *headSignal) wait(k crypto.PublicKey) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.waiting[k]
	if !ok {
		c = make(chan struct{})
		s.waiting[k] = c
	}
	return c
}

func (s *headSignal) advanced(k crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.waiting[k]; ok {
		close(c)
		delete(s.waiting, k)
	}
}
