package node

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestCardSenderCoalesces: while a send to a partner runs, any number of
// asks make one more send, and none starts beside it; other partners are
// independent.
func TestCardSenderCoalesces(t *testing.T) {
	c := newCardSender()
	p, q := peer.ID("p"), peer.ID("q")
	if !c.start(p) {
		t.Fatal("first ask did not start a send")
	}
	if !c.start(q) {
		t.Fatal("a send to another partner blocked q's")
	}
	if c.pending(p) {
		t.Fatal("a send pending before any ask during the running one")
	}
	for range 3 {
		if c.start(p) {
			t.Fatal("a second send started beside the running one")
		}
	}
	if !c.pending(p) {
		t.Fatal("asks during a send left none pending")
	}
	if !c.next(p) {
		t.Fatal("the asks during the send made no further send")
	}
	if c.next(p) {
		t.Fatal("three asks made more than one further send")
	}
	if !c.start(p) {
		t.Fatal("no send started after the last one ended")
	}
}
