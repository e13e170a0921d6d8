package node

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// TestOfflineCardBeforeFirstRun makes IN's card before IN ever ran: it
// verifies, names the configured fixed-port addresses on this machine's
// interfaces and leaves out the port-0 one; a running partner pins it and
// the two connect once IN starts; IN's first card carries the same key
// and creation time, and once IN stops, the offline card is the one IN
// signed, byte for byte.
func TestOfflineCardBeforeFirstRun(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig("IN", "Authority IN")
	cfg.Listen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/127.0.0.1/udp/0/quic-v1"}
	offline, skipped, err := OfflineCard(cfg, id, st, time.Date(2026, 12, 1, 9, 30, 15, 5, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	checkOfflineCard(t, offline, id, skipped)

	be := testNode(t, "BE")
	if _, err := be.AddPartner(offline.Bytes()); err != nil {
		t.Fatalf("BE pins IN's offline card: %v", err)
	}
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	in, err := New(cfg, id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pin(t, in, be)
	if !connectedWithin(in, be, 15*time.Second, true) {
		t.Error("IN and BE, pinned with IN's offline card, did not connect")
	}
	online, err := in.Card()
	if err != nil {
		t.Fatal(err)
	}
	if online.Card.PeerID != offline.Card.PeerID || !online.Card.Created.Equal(offline.Card.Created) {
		t.Errorf("first run's card %s created %v; offline %s created %v", online.Card.PeerID, online.Card.Created,
			offline.Card.PeerID, offline.Card.Created)
	}
	in.Close()
	again, _, err := OfflineCard(cfg, id, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), online.Bytes()) {
		t.Errorf("offline card after a run:\n%s\nwant the daemon's:\n%s", again.Bytes(), online.Bytes())
	}
}

func checkOfflineCard(t *testing.T, sc *protocol.SignedCard, id *crypto.Identity, skipped []string) {
	t.Helper()
	if _, err := protocol.ParseCard(sc.Bytes()); err != nil {
		t.Fatalf("offline card does not verify: %v", err)
	}
	c := sc.Card
	if c.Code != "IN" || c.PeerID != id.PeerID() || c.AgeRecipient != id.Recipient().String() {
		t.Errorf("card %+v is not IN's with its key", c)
	}
	if want := time.Date(2026, 12, 1, 9, 30, 15, 0, time.UTC); !c.Created.Equal(want) {
		t.Errorf("created %v, want %v (now, to the second)", c.Created, want)
	}
	if !slices.Contains(c.Addrs, "/ip4/127.0.0.1/tcp/4001") {
		t.Errorf("addresses %v lack 0.0.0.0 resolved to loopback", c.Addrs)
	}
	for _, a := range c.Addrs {
		if bytes.Contains([]byte(a), []byte("0.0.0.0")) || bytes.Contains([]byte(a), []byte("/udp/0/")) {
			t.Errorf("address %s: unspecified IP or port 0 in the card", a)
		}
	}
	if !slices.Equal(skipped, []string{"/ip4/127.0.0.1/udp/0/quic-v1"}) {
		t.Errorf("skipped %v, want the port-0 address", skipped)
	}
}

// TestOfflineCardBadListen: a listen address that is not a multiaddr is
// an error naming it, not a card without it.
func TestOfflineCardBadListen(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _ := crypto.NewIdentity()
	cfg := DefaultConfig("IN", "Authority IN")
	cfg.Listen = []string{"/ip4/0.0.0.0/tcp/4001", "tcp:4001"}
	if _, _, err := OfflineCard(cfg, id, st, time.Now()); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`listen[1] "tcp:4001"`)) {
		t.Errorf("OfflineCard with a bad listen address: %v", err)
	}
}

// TestOfflineCardCarriesAnnounce: with an announce setting the card
// signed before the first run carries those addresses, as the daemon's
// card does, not the listen addresses behind NAT.
func TestOfflineCardCarriesAnnounce(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _ := crypto.NewIdentity()
	cfg := DefaultConfig("IN", "Authority IN")
	cfg.Listen = []string{"/ip4/10.0.0.5/tcp/4101"}
	cfg.Announce = []string{"/dns4/kp.example.org/tcp/4101"}
	sc, _, err := OfflineCard(cfg, id, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Card.Addrs; len(got) != 1 || got[0] != "/dns4/kp.example.org/tcp/4101" {
		t.Errorf("offline card addrs %v, want the announce address", got)
	}
}
