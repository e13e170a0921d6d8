package reach

import (
	"bytes"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
)

// cardPair is two partner hosts, a the sender and b the receiver,
// connected.
func cardPair(t *testing.T) (a, b host.Host) {
	t.Helper()
	pa, pb := &pinned{}, &pinned{}
	a = newTestHost(t, DefaultConfig(), loopback, pa)
	b = newTestHost(t, DefaultConfig(), loopback, pb)
	pa.add(b.ID())
	pb.add(a.ID())
	if err := connectTo(t, a, b); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestSendCardReturnsOnceTaken: SendCard returns only after the receiver
// closed the stream, which it does once it has taken the card; so a
// sender's next card never overtakes its last one on the receiver. The
// receiver holds the card a while before it closes: SendCard must not
// have returned meanwhile.
func TestSendCardReturnsOnceTaken(t *testing.T) {
	a, b := cardPair(t)
	card := []byte(`{"card":{},"signing_key":"","signature":""}` + "\n")
	returned := make(chan error, 1)
	type taken struct {
		card  []byte
		early bool // SendCard returned before the receiver closed
		err   error
	}
	got := make(chan taken, 1)
	b.SetStreamHandler(CardProtocolID, func(s network.Stream) {
		c, err := ReadCard(s, 1<<16)
		if err != nil {
			got <- taken{err: err}
			return
		}
		var early bool
		select {
		case <-returned:
			early = true
		case <-time.After(300 * time.Millisecond): // taking the card, slowly
		}
		s.Close()
		got <- taken{card: c, early: early}
	})
	ctx, cancel := testContext()
	defer cancel()
	go func() { returned <- SendCard(ctx, a, b.ID(), card) }()
	var tk taken
	select {
	case tk = <-got:
	case <-ctx.Done():
		t.Fatal("the receiver got no card")
	}
	if tk.err != nil {
		t.Fatal(tk.err)
	}
	if !bytes.Equal(tk.card, card) {
		t.Fatalf("received %q, want %q", tk.card, card)
	}
	if tk.early {
		t.Fatal("SendCard returned before the receiver took the card")
	}
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf("SendCard: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("SendCard did not return after the receiver closed")
	}
}

// TestSendCardRefusedOnReset: a receiver that resets the stream (too many
// cards: the node's CardGate) makes SendCard fail, not report the card
// taken.
func TestSendCardRefusedOnReset(t *testing.T) {
	a, b := cardPair(t)
	b.SetStreamHandler(CardProtocolID, func(s network.Stream) { s.Reset() })
	ctx, cancel := testContext()
	defer cancel()
	if err := SendCard(ctx, a, b.ID(), []byte("{}\n")); err == nil {
		t.Fatal("SendCard to a receiver that reset the stream succeeded")
	}
}
