package store

import (
	"maps"
	"sync"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// headCache keeps the head of every feed in memory, so that Head and
// Heads do not open a Badger transaction each: a node reads its heads for
// every sync hello and every pushed entry, and in a 20-node network those
// reads were a tenth of its CPU (docs/performance.md). Heads change only
// under the store's appendMu (Append, AppendRun, TruncateFeed), which
// update the cache after their transaction commits; a write that fails
// drops the cache, and the next read loads it again from Badger.
type headCache struct {
	mu    sync.Mutex                // guards heads
	heads map[crypto.PublicKey]Head // nil until loaded, or after a failed write
}

// loadLocked fills the cache with load when it is empty; the caller holds mu.
func (c *headCache) loadLocked(load func() (map[crypto.PublicKey]Head, error)) error {
	if c.heads != nil {
		return nil
	}
	h, err := load()
	if err != nil {
		return err
	}
	c.heads = h
	return nil
}

// head returns author's head (the zero Head when the store holds none of
// its feed).
func (c *headCache) head(author crypto.PublicKey, load func() (map[crypto.PublicKey]Head, error)) (Head, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.loadLocked(load); err != nil {
		return Head{}, err
	}
	return c.heads[author], nil
}

// all returns a copy of every head.
func (c *headCache) all(load func() (map[crypto.PublicKey]Head, error)) (map[crypto.PublicKey]Head, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.loadLocked(load); err != nil {
		return nil, err
	}
	return maps.Clone(c.heads), nil
}

// appended records the committed appends es, in order.
func (c *headCache) appended(es ...*protocol.Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		return // loaded from Badger at the next read
	}
	for _, e := range es {
		c.heads[e.Author] = Head{Seq: e.Seq, Hash: e.Hash(), Time: e.Time}
	}
}

// drop forgets the cached heads: the next read loads them from Badger.
func (c *headCache) drop() {
	c.mu.Lock()
	c.heads = nil
	c.mu.Unlock()
}
