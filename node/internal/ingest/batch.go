package ingest

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// PrepareAll prepares a frame's entries on every core, in chunks of
// verifyChunk consecutive entries that each core takes in turn: a chunk
// is decoded by [protocol.DecodeBatch], which verifies every entry's own
// signature in one batch (consecutive entries are mostly of one feed,
// whose signatures a batch checks together most cheaply), and its entries
// are then checked and opened as Ingest does.
func (pl *Pipeline) PrepareAll(raws [][]byte) []Prepared {
	heads := pl.frameHeads(raws)
	out := make([]Prepared, len(raws))
	chunks := (len(raws) + verifyChunk - 1) / verifyChunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				lo, hi := c*verifyChunk, min((c+1)*verifyChunk, len(raws))
				pl.prepareChunk(raws[lo:hi], heads, out[lo:hi])
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
func (pl *Pipeline) prepareChunk(raws [][]byte, heads map[crypto.PublicKey]uint64, out []Prepared) {
	es, errs := protocol.DecodeBatch(raws)
	for i, raw := range raws {
		feed, seq, _ := PeekEntry(raw)
		out[i] = pl.prepareRun(raw, es[i], errs[i], seq <= heads[feed])
	}
}

// frameHeads reads, once per feed named in raws, the head stored now. An
// entry above it is not held (heads only grow; one appended meanwhile is
// found out by the append), which spares prepareRun a store read per entry
// of a catch-up. A feed whose head cannot be read maps to the largest seq,
// so that its entries are looked up one by one.
func (pl *Pipeline) frameHeads(raws [][]byte) map[crypto.PublicKey]uint64 {
	heads := map[crypto.PublicKey]uint64{}
	for _, raw := range raws {
		feed, _, ok := PeekEntry(raw)
		if _, seen := heads[feed]; !ok || seen {
			continue
		}
		h, err := pl.cfg.Store.Head(feed)
		heads[feed] = h.Seq
		if err != nil {
			heads[feed] = math.MaxUint64
		}
	}
	return heads
}

// CommitRun appends a frame whose entries all follow on, in order, from
// the heads in one store transaction ([store.Store.AppendRun]), the
// common case of a catch-up, and returns the entries stored. It returns
// nil, with nothing stored, when any entry was settled without appending
// (malformed, not a partner's, this node's own), is a hand-over or of a
// closed feed (needsOwnCommit), when accept refuses the run (an entry out
// of turn), or when the store refuses it as a whole; the caller then
// commits entry by entry, which settles each case as it always has.
func (pl *Pipeline) CommitRun(preps []Prepared, accept func([]*protocol.Entry) bool) []*protocol.Entry {
	if len(preps) < 2 {
		return nil
	}
	es := make([]*protocol.Entry, len(preps))
	recs := make([]*store.Record, len(preps))
	for i, p := range preps {
		if p.done != nil || p.e == nil || pl.needsOwnCommit(p.e) {
			return nil
		}
		es[i], recs[i] = p.e, p.rec
	}
	if !accept(es) {
		return nil
	}
	if err := pl.cfg.Store.AppendRun(es, recs); err != nil {
		pl.cfg.Count("append_run_fallback", 1)
		return nil
	}
	for _, p := range preps {
		pl.appendOutcome(p, nil)
	}
	return es
}

// needsOwnCommit reports whether e must go through Commit on its own: a
// key hand-over (the partner is re-pinned once it is stored, which closes
// its old feed) or an entry of a feed already closed.
func (pl *Pipeline) needsOwnCommit(e *protocol.Entry) bool {
	if e.Type == protocol.HandoverType {
		return true
	}
	_, closed := pl.cfg.Roster.ClosedAt(e.Author)
	return closed
}

// PeekEntry reads the author and seq at their fixed offsets, before the
// entry is verified; ingest verifies everything.
func PeekEntry(raw []byte) (crypto.PublicKey, uint64, bool) {
	var k crypto.PublicKey
	if len(raw) < protocol.MinEntrySize {
		return k, 0, false
	}
	copy(k[:], raw[1:33])
	return k, binary.BigEndian.Uint64(raw[33:41]), true
}
