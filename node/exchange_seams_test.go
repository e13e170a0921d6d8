package node

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// seamProtocol is a stream protocol of the tests, served through
// exchange.Service.Handle as another protocol (attachments) would be.
const seamProtocol = "/kpnode/test-seam/1.0.0"

// TestHandleServesPartnersOnly: a protocol handled through the exchange
// is served to a pinned partner, over the partner's connection; a stranger
// cannot open it; a stream to a peer that is not an admitted partner
// (a stranger, a paused partner) is refused before any dial; a protocol is
// handled once, and never the sync protocol.
func TestHandleServesPartnersOnly(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	if err := in.ex.Handle(seamProtocol, func(s network.Stream) {
		defer s.Close()
		s.Write([]byte("served " + s.Conn().RemotePeer().String()))
	}); err != nil {
		t.Fatal(err)
	}
	if err := in.ex.Handle(seamProtocol, func(s network.Stream) { s.Reset() }); err == nil {
		t.Fatal("a protocol handled twice")
	}
	if err := in.ex.Handle(protocol.SyncProtocolID, func(s network.Stream) { s.Reset() }); err == nil {
		t.Fatal("the sync protocol handled again")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inID := in.ex.Host().ID()
	eventually(t, 30*time.Second, "BE reads IN's answer", func() error {
		got, err := readSeam(ctx, be, inID)
		if err == nil && got != "served "+be.ex.Host().ID().String() {
			return errors.New("answer " + got)
		}
		return err
	})

	atk := newAttacker(t)
	h := in.ex.Host()
	atk.h.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}) // may report success: see LIBRARIES.md §1.2
	if s, err := atk.h.NewStream(ctx, inID, seamProtocol); err == nil {
		b, _ := io.ReadAll(s)
		t.Fatalf("a stranger opened the handled protocol and read %q", b)
	}
	if _, err := in.ex.OpenStream(ctx, atk.h.ID(), seamProtocol); !errors.Is(err, exchange.ErrNotPartner) {
		t.Fatalf("stream to a stranger: %v, want %v", err, exchange.ErrNotPartner)
	}

	if _, err := in.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	if _, err := in.ex.OpenStream(ctx, be.ex.Host().ID(), seamProtocol); !errors.Is(err, exchange.ErrNotPartner) {
		t.Fatalf("stream to a paused partner: %v, want %v", err, exchange.ErrNotPartner)
	}
}

// readSeam opens the seam protocol from n to p and reads the answer.
func readSeam(ctx context.Context, n *Node, p peer.ID) (string, error) {
	s, err := n.ex.OpenStream(ctx, p, seamProtocol)
	if err != nil {
		return "", err
	}
	defer s.Close()
	s.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(s)
	return string(b), err
}

// TestOperationsBeforeStart: the exchange exists whole from New, so the
// operator's operations on a node not started (partners added, moved,
// paused, removed; status; card) work or fail with a clear error, and
// Close releases the host that was never listening.
func TestOperationsBeforeStart(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(DefaultConfig("IN", "Authority IN"), id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	be := testNode(t, "BE")
	c, err := be.Card()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddPartner(c.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.SetPartnerAddrs("BE", []string{"/ip4/192.0.2.1/tcp/4101"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	s, err := n.Status()
	if err != nil || len(s.Partners) != 1 || s.Partners[0].Connected || len(s.Listen) != 0 {
		t.Fatalf("status before start: %+v, %v; want BE, not connected, no listen address", s, err)
	}
	if _, err := n.Card(); err == nil {
		t.Fatal("a card before start")
	}
	next, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Rotate(context.Background(), next, "test", time.Second); err == nil {
		t.Fatal("rotated before start")
	}
	if err := n.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// TestAddrUpdatesFollowListening: a subscription to the exchange's
// address changes taken before Start sees the addresses Start listens on.
func TestAddrUpdatesFollowListening(t *testing.T) {
	var sub event.Subscription
	n := testNodeWith(t, "IN", func(n *Node) {
		var err error
		if sub, err = n.ex.AddrUpdates(); err != nil {
			t.Fatal(err)
		}
	})
	defer sub.Close()
	want := n.ex.Host().Addrs()
	if len(want) == 0 {
		t.Fatal("no address after start")
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-sub.Out():
			u := ev.(event.EvtLocalAddressesUpdated)
			if len(u.Current) == len(want) {
				return
			}
		case <-timeout:
			t.Fatalf("no address update with the %d addresses listened on", len(want))
		}
	}
}
