package node

import (
	"context"
	"sync"

	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// cardSender orders the sends of this node's card to each partner: one
// send at a time per partner, each of the card current when it starts, and
// one more when a send is asked for while another runs (coalesced). A
// send started before a re-signature therefore never has the last word on
// the partner: the re-signature asks again, and the card sent then is the
// new one. Nothing in a card orders its versions (protocol.md §4), so the
// receiver takes them in the order they come; reach.SendCard returns only
// once the partner has taken the card, so two sends never overtake.
type cardSender struct {
	// send sends card to partner p; reach.SendCard unless a test holds it.
	send func(ctx context.Context, h host.Host, p peer.ID, card []byte) error

	mu sync.Mutex // guards state
	// state holds the partners a send runs to: true when another is asked
	// for. A partner absent has none running.
	state map[peer.ID]bool
}

func newCardSender() *cardSender {
	return &cardSender{send: reach.SendCard, state: map[peer.ID]bool{}}
}

// start reports whether the caller starts a send to p; otherwise one runs
// and is marked to be followed by another.
func (c *cardSender) start(p peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, running := c.state[p]; running {
		c.state[p] = true
		return false
	}
	c.state[p] = false
	return true
}

// next reports whether another send to p was asked for while the last
// ran; if not, no send runs to p any more.
func (c *cardSender) next(p peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state[p] {
		c.state[p] = false
		return true
	}
	delete(c.state, p)
	return false
}

// pending reports whether a send to p is asked for after the running one.
func (c *cardSender) pending(p peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state[p]
}
