package node

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestHelloCancelsReceiptSession: a receipt session due with an author is
// cancelled by a hello to it (which carries the receipt), and the next
// pushed entry schedules a new one.
func TestHelloCancelsReceiptSession(t *testing.T) {
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.Decode(id.Public().PeerID())
	if err != nil {
		t.Fatal(err)
	}
	s := newSyncer(context.Background(), nil) // no session may start: none is triggered
	defer s.close()
	timer := func() *time.Timer {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.pending[p]
	}
	pending := func() bool { return timer() != nil }
	s.receiptDue(id.Public())
	first := timer()
	if first == nil {
		t.Fatal("no receipt session scheduled after a pushed entry")
	}
	s.receiptSent(p)
	if pending() {
		t.Fatal("the receipt session is still due after a hello to the author")
	}
	if first.Stop() {
		t.Fatal("the cancelled session's timer was still running")
	}
	s.receiptDue(id.Public())
	if !pending() {
		t.Fatal("an entry pushed after the hello scheduled no receipt session")
	}
	s.receiptSent(p)
}

// TestReceiptSessionWithinJitter: the receipt session of a pushed entry
// falls due between receiptDelay-receiptJitter and
// receiptDelay+receiptJitter after it, never earlier (a burst of pushes
// must batch into one session) nor later (the author waits for its proof
// of delivery). It runs on synctest's fake clock: each wait is exact.
func TestReceiptSessionWithinJitter(t *testing.T) {
	for range 20 { // the delay is drawn at random: try several
		synctest.Test(t, func(t *testing.T) {
			id, err := crypto.NewIdentity()
			if err != nil {
				t.Fatal(err)
			}
			p, err := peer.Decode(id.Public().PeerID())
			if err != nil {
				t.Fatal(err)
			}
			// No session may start (there is no node): the context is
			// cancelled and every session slot taken, so one triggered
			// returns at once.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			s := newSyncer(ctx, nil)
			for range maxConcurrentSyncs {
				s.sem <- struct{}{}
			}
			pending := func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.pending[p] != nil
			}
			s.receiptDue(id.Public())
			time.Sleep(receiptDelay - receiptJitter - time.Millisecond)
			synctest.Wait()
			if !pending() {
				t.Fatalf("the receipt session fell due before %v", receiptDelay-receiptJitter)
			}
			time.Sleep(2*receiptJitter + time.Millisecond)
			synctest.Wait()
			if pending() {
				t.Fatalf("the receipt session was not due by %v", receiptDelay+receiptJitter)
			}
			s.close()
		})
	}
}
