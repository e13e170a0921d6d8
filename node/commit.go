package node

import (
	"fmt"
	"strings"
	"sync"

	"github.com/kpnode/kpnode/protocol"
)

// committer makes this node's own entries durable in groups. Appends stay
// serialised (appendMu), but the fsync that must follow each before
// anyone sees it is shared: one caller syncs every entry appended so far
// and pushes them, in seq order, while the others find their entry
// already synced. With one publisher nothing changes; with several, one
// disk flush serves many entries.
type committer struct {
	mu     sync.Mutex // held across sync and push; guards synced
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

// syncedSeq returns the highest own seq on disk: what may leave the node.
func (c *committer) syncedSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

// advance records own entries up to seq as on disk: entries pulled back
// from partners while recovering, synced by the caller.
func (c *committer) advance(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.synced = max(c.synced, seq)
}

// commitOwn returns once own entry seq is on disk, syncing the store and
// publishing (push, log, counters, events) every entry the sync covered.
func (n *Node) commitOwn(seq uint64) error {
	c := n.committer
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced >= seq {
		return nil
	}
	c.pmu.Lock()
	batch := c.pending
	c.pending = nil
	c.pmu.Unlock()
	if err := n.st.Sync(); err != nil {
		c.pmu.Lock()
		c.pending = append(batch, c.pending...)
		c.pmu.Unlock()
		return fmt.Errorf("sync entry %d to disk: %w", seq, err)
	}
	for _, e := range batch {
		n.announce(e)
	}
	if len(batch) > 0 {
		c.synced = batch[len(batch)-1].Seq
	}
	return nil
}

// announce makes a durable own entry known: the log, counters, the event
// stream and the push to partners.
func (n *Node) announce(e *protocol.Entry) {
	n.log.Info("entry published", "feed", n.cfg.Participant, "seq", e.Seq, "type", e.Type,
		"size", len(e.Bytes()), "audience", strings.Join(e.Audience, ","))
	n.counters.add("entries_published", 1)
	n.events.emit("entry_published", map[string]any{"seq": e.Seq, "type": e.Type, "hash": e.Hash().String()})
	n.push(e)
}
