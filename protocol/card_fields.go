package protocol

import (
	"time"

	"filippo.io/age"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/kpnode/kpnode/crypto"
)

// card reads and validates a card object signed by key.
func (c *checker) card(o *object, key crypto.PublicKey) (*Card, *age.X25519Recipient) {
	if o == nil || !o.version() {
		return nil, nil
	}
	card := &Card{Version: CardVersion}
	card.Code = o.participant("code", true, true)
	card.Name = o.str("name", true, 200)
	card.PeerID = o.str("peer_id", true, 128)
	if want := key.PeerID(); card.PeerID != "" && card.PeerID != want {
		c.add(o.at("peer_id"), "%q does not match the signing key (want %q)", card.PeerID, want)
	}
	var rcpt *age.X25519Recipient
	card.AgeRecipient = o.pattern("age_recipient", true, 128, "an age X25519 recipient (age1…)", func(s string) bool {
		var err error
		rcpt, err = crypto.ParseRecipient(s)
		return err == nil
	})
	card.Addrs = o.strings("addrs", false, 0, MaxCardAddrs, 256, c.multiaddr(card.PeerID))
	if card.Addrs == nil {
		card.Addrs = []string{}
	}
	card.Created = o.timestamp("created", true)
	o.done()
	return card, rcpt
}

// multiaddr returns a check for multiaddr strings whose /p2p component, if
// any, names peerID.
func (c *checker) multiaddr(peerID string) func(path, s string) bool {
	return func(path, s string) bool {
		m, err := ma.NewMultiaddr(s)
		if err != nil {
			c.add(path, "must be a multiaddr: %v", err)
			return false
		}
		if p2p, err := m.ValueForProtocol(ma.P_P2P); err == nil && p2p != peerID {
			c.add(path, "names peer %q, not the card's peer ID", p2p)
			return false
		}
		return true
	}
}

// timestamp reads a non-zero RFC 3339 time.
func (o *object) timestamp(name string, required bool) time.Time {
	s := o.str(name, required, 64)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		o.c.add(o.at(name), "must be an RFC 3339 time, got %q", truncate(s, 40))
		return time.Time{}
	}
	return t
}
