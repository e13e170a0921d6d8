package protocol

import (
	"crypto/sha256"
	"sync"

	"github.com/kpnode/kpnode/crypto"
)

// ReceiptCache remembers the receipts whose signatures verified, by the
// SHA-256 of their bytes, so that the same signed receipt seen again (a
// partner repeats its heads in every Hello) is not verified twice. It is
// bounded: beyond its size the oldest half is forgotten. A ReceiptCache is
// safe for concurrent use; the zero value is not usable, use
// [NewReceiptCache]. A nil *ReceiptCache verifies every receipt.
type ReceiptCache struct {
	verify func(feed crypto.PublicKey) bool // nil: every receipt; set before use

	mu   sync.Mutex // guards the fields below
	max  int
	old  map[[32]byte]struct{}
	seen map[[32]byte]struct{}
}

// VerifyOnly makes the cache check the signatures of the receipts of the
// feeds for which verify returns true, and decode the others as hints,
// unverified ([Receipt.Verified] false): a Hello comes over a channel that
// already authenticates its sender, who signs its receipts itself, so a
// signature adds nothing to a head used only to choose what to pull; it
// matters only for a receipt kept as proof (a node's receipts of its own
// feed). Call it before the cache is used; it returns c.
func (c *ReceiptCache) VerifyOnly(verify func(feed crypto.PublicKey) bool) *ReceiptCache {
	c.verify = verify
	return c
}

// NewReceiptCache returns a cache of at most about size receipts.
func NewReceiptCache(size int) *ReceiptCache {
	return &ReceiptCache{max: max(size/2, 1), seen: map[[32]byte]struct{}{}}
}

// decode is decodeReceipt that skips the signature check for bytes the
// cache holds and remembers the bytes that verify.
func (c *ReceiptCache) decode(b []byte) (*Receipt, error) {
	if c == nil {
		return decodeReceipt(b)
	}
	if c.verify != nil && len(b) == ReceiptSize && !c.verify(crypto.PublicKey(b[rcptOffFeed:rcptOffSeq])) {
		return decodeReceiptHint(b)
	}
	sum := sha256.Sum256(b)
	if c.has(sum) && len(b) == ReceiptSize && b[0] == ReceiptVersion {
		return parseReceipt(b)
	}
	r, err := decodeReceipt(b)
	if err == nil {
		c.add(sum)
	}
	return r, err
}

func (c *ReceiptCache) has(sum [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[sum]
	if !ok {
		_, ok = c.old[sum]
	}
	return ok
}

func (c *ReceiptCache) add(sum [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) >= c.max {
		c.old, c.seen = c.seen, make(map[[32]byte]struct{}, c.max)
	}
	c.seen[sum] = struct{}{}
}
