package ownfeed

import (
	"fmt"
	"sync"

	"github.com/kpnode/kpnode/protocol"
)

// committer makes this node's own entries durable in groups. Appends stay
// serialised (appendMu), but the fsync that must follow each before
// anyone sees it is shared: one caller syncs every entry appended so far
// and announces them, in seq order, while the others find their entry
// already synced. With one publisher nothing changes; with several, one
// disk flush serves many entries.
type committer struct {
	mu     sync.Mutex // held across sync and announce; guards synced
	synced uint64     // the highest own seq known to be on disk

	pmu     sync.Mutex        // guards pending
	pending []*protocol.Entry // appended, not yet synced, in seq order
}

// add queues an appended entry; the caller holds appendMu, so entries
// arrive in seq order.
func (c *committer) add(e *protocol.Entry) {
	c.pmu.Lock()
	c.pending = append(c.pending, e)
	c.pmu.Unlock()
}

// SyncedSeq returns the highest own seq on disk: what may leave the node.
func (f *Feed) SyncedSeq() uint64 {
	c := f.committer
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

// Advance records own entries up to seq as on disk: entries pulled back
// from partners while recovering (or written behind the node's back by a
// benchmark), synced by the caller.
func (f *Feed) Advance(seq uint64) {
	c := f.committer
	c.mu.Lock()
	defer c.mu.Unlock()
	c.synced = max(c.synced, seq)
}

// commit returns once own entry seq is on disk, syncing the store and
// announcing every entry the sync covered.
func (f *Feed) commit(seq uint64) error {
	c := f.committer
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced >= seq {
		return nil
	}
	c.pmu.Lock()
	batch := c.pending
	c.pending = nil
	c.pmu.Unlock()
	if err := f.cfg.Store.Sync(); err != nil {
		c.pmu.Lock()
		c.pending = append(batch, c.pending...)
		c.pmu.Unlock()
		return fmt.Errorf("sync entry %d to disk: %w", seq, err)
	}
	for _, e := range batch {
		f.cfg.Announce(e)
	}
	if len(batch) > 0 {
		c.synced = batch[len(batch)-1].Seq
	}
	return nil
}
