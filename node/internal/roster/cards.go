package roster

import (
	"crypto/sha256"
	"sync"

	"github.com/kpnode/kpnode/protocol"
)

// maxCachedCards bounds a cardCache; beyond it the cache starts over.
const maxCachedCards = 1024

// cardCache remembers the stored partner cards already parsed, their
// signatures verified, by the SHA-256 of their bytes. [Node.Partners],
// which the status and the history sampler call every few seconds, would
// otherwise verify every partner's card each time: with 60 partners that
// was a tenth of an idle node's CPU. Identical bytes parse identically, so
// a hit is what ParseCard would return. The zero value is ready to use.
type cardCache struct {
	mu    sync.Mutex // guards cards
	cards map[[sha256.Size]byte]*protocol.SignedCard
}

// parse is protocol.ParseCard through the cache. The card returned is
// shared: callers must not modify it.
func (c *cardCache) parse(b []byte) (*protocol.SignedCard, error) {
	key := sha256.Sum256(b)
	c.mu.Lock()
	sc, ok := c.cards[key]
	c.mu.Unlock()
	if ok {
		return sc, nil
	}
	sc, err := protocol.ParseCard(b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cards == nil || len(c.cards) >= maxCachedCards {
		c.cards = map[[sha256.Size]byte]*protocol.SignedCard{}
	}
	c.cards[key] = sc
	return sc, nil
}
