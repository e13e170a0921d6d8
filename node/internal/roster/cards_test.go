package roster

import (
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

func TestCardCache(t *testing.T) {
	id, sc := signedTestCard(t, "BE")
	var c cardCache
	first, err := c.parse(sc.Bytes())
	if err != nil || first.Key != id.Public() {
		t.Fatalf("parse: %v, %v", first, err)
	}
	again, err := c.parse(sc.Bytes())
	if err != nil || again != first {
		t.Fatalf("second parse: %p, %v; want the cached %p", again, err, first)
	}
	forged := append([]byte(nil), sc.Bytes()...)
	forged[len(forged)/2] ^= 1
	if _, err := c.parse(forged); err == nil {
		t.Fatal("a damaged card parsed")
	}
	if len(c.cards) != 1 {
		t.Fatalf("%d cards cached, want 1", len(c.cards))
	}
	for i := range maxCachedCards - 1 {
		c.cards[[32]byte{byte(i), byte(i >> 8), 1}] = first
	}
	_, other := signedTestCard(t, "AE")
	if _, err := c.parse(other.Bytes()); err != nil || len(c.cards) != 1 {
		t.Fatalf("a card beyond the bound: %d cards cached, want 1 (it starts over); %v", len(c.cards), err)
	}
}

func signedTestCard(t *testing.T, code string) (*crypto.Identity, *protocol.SignedCard) {
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.SignCard(protocol.Card{Version: 1, Code: code, Name: "Authority " + code, PeerID: id.PeerID(),
		AgeRecipient: id.Recipient().String(), Created: time.Now().UTC().Truncate(time.Second)}, id)
	if err != nil {
		t.Fatal(err)
	}
	return id, sc
}
