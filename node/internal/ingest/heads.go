package ingest

import (
	"sync"

	"github.com/kpnode/kpnode/crypto"
)

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
