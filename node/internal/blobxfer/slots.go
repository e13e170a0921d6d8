package blobxfer

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// slots counts the streams each peer has served at once against a limit.
type slots struct {
	limit int

	mu     sync.Mutex // guards byPeer
	byPeer map[peer.ID]int
}

func newSlots(limit int) *slots { return &slots{limit: limit, byPeer: map[peer.ID]int{}} }

// take reserves a slot for p and reports whether one was free; a slot
// taken is given back with put.
func (s *slots) take(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byPeer[p] >= s.limit {
		return false
	}
	s.byPeer[p]++
	return true
}

// put gives back a slot of p.
func (s *slots) put(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byPeer[p]--; s.byPeer[p] <= 0 {
		delete(s.byPeer, p)
	}
}
