package node

import (
	"context"
	"testing"
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
