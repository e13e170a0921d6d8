package roster

import (
	"errors"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

func cardWith(t *testing.T, id *crypto.Identity, c protocol.Card) *protocol.SignedCard {
	t.Helper()
	sc, err := protocol.SignCard(c, id)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestRefreshCardSameKeyAddrsOnly: a partner's own card with new
// addresses replaces the stored one and reaches the listeners; the same
// card again changes nothing; a card from another peer, with another key
// for the code, for a code not pinned, or changing more than addresses
// is refused and the stored card stays.
func TestRefreshCardSameKeyAddrsOnly(t *testing.T) {
	r, l := newTestRoster(t)
	id, sc := signedTestCard(t, "BE")
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	pid, _ := peer.Decode(id.PeerID())
	moved := sc.Card
	moved.Addrs = []string{"/ip4/203.0.113.9/tcp/4102"}
	newer := cardWith(t, id, moved)
	l.calls = nil
	if changed, err := r.RefreshCard(pid, newer.Bytes()); err != nil || !changed {
		t.Fatalf("refresh: %v, %v", changed, err)
	}
	if p, _ := r.Pinned("BE"); string(p.Card) != string(newer.Bytes()) || len(l.calls) != 1 || len(l.addrs) != 1 || l.addrs[0] != moved.Addrs[0] {
		t.Fatalf("stored card not the new one, or listeners told %v %v", l.calls, l.addrs)
	}
	if changed, err := r.RefreshCard(pid, newer.Bytes()); err != nil || changed {
		t.Fatalf("the same card again: %v, %v", changed, err)
	}

	other, _ := signedTestCard(t, "BE") // another key claiming BE
	otherPid, _ := peer.Decode(other.PeerID())
	renamed := moved
	renamed.Name = "Someone else"
	notPinned, nsc := signedTestCard(t, "AE")
	nPid, _ := peer.Decode(notPinned.PeerID())
	otherCard := sc.Card
	otherCard.PeerID, otherCard.AgeRecipient = "", ""
	refused := map[string]struct {
		from peer.ID
		card []byte
	}{
		"sent by another peer":    {otherPid, newer.Bytes()},
		"another key for BE":      {otherPid, cardWith(t, other, otherCard).Bytes()},
		"a code not pinned":       {nPid, nsc.Bytes()},
		"more than the addresses": {pid, cardWith(t, id, renamed).Bytes()},
		"damaged":                 {pid, append(newer.Bytes()[:40:40], newer.Bytes()[41:]...)},
	}
	for name, c := range refused {
		changed, err := r.RefreshCard(c.from, c.card)
		if err == nil || changed {
			t.Errorf("%s: accepted (%v, %v)", name, changed, err)
		}
		if name != "a code not pinned" && !errors.Is(err, ErrInvalidCard) {
			t.Errorf("%s: %v, want ErrInvalidCard", name, err)
		}
		if p, _ := r.Pinned("BE"); string(p.Card) != string(newer.Bytes()) {
			t.Fatalf("%s: the stored card changed", name)
		}
	}
}

// TestRefreshCardKeepsOverride: with an address override set, a refreshed
// card is stored but the override is what the listeners get.
func TestRefreshCardKeepsOverride(t *testing.T) {
	r, l := newTestRoster(t)
	id, sc := signedTestCard(t, "BE")
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetPartnerAddrs("BE", []string{"/ip4/198.51.100.1/tcp/4101"}); err != nil {
		t.Fatal(err)
	}
	moved := sc.Card
	moved.Addrs = []string{"/ip4/203.0.113.9/tcp/4102"}
	pid, _ := peer.Decode(id.PeerID())
	l.addrs = nil
	if _, err := r.RefreshCard(pid, cardWith(t, id, moved).Bytes()); err != nil {
		t.Fatal(err)
	}
	if len(l.addrs) != 1 || l.addrs[0] != "/ip4/198.51.100.1/tcp/4101" {
		t.Fatalf("listeners got %v, want the override", l.addrs)
	}
	if p, _ := r.Pinned("BE"); len(p.AddrOverride) != 1 {
		t.Fatalf("override lost: %v", p.AddrOverride)
	}
}
