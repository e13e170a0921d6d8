package roster

import (
	"fmt"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
)

// Keys are the age keys this node uses with one known participant
// (a pinned partner, or itself): records it seals to that participant use
// a static-static stanza (seal), and records that participant authored
// are opened with the matching identity (open), which also opens the
// standard X25519 stanzas of entries sealed before, or by other software.
// Both hold the X25519 shared secret of the pair, computed once when the
// partner is pinned (docs/protocol.md §3, docs/security.md).
type Keys struct {
	Rcpt *age.X25519Recipient    // the participant's age recipient, from its card
	Seal *crypto.StaticRecipient // seals records to the participant
	Open *crypto.StaticIdentity  // opens records the participant authored
}

// NewKeys builds the keys between id and the participant whose age
// recipient (from its card) is rcpt.
func NewKeys(id *crypto.Identity, rcpt *age.X25519Recipient) (*Keys, error) {
	seal, err := crypto.NewStaticRecipient(id.AgeIdentity(), rcpt)
	if err != nil {
		return nil, fmt.Errorf("keys for %s: %w", rcpt, err)
	}
	open, err := crypto.NewStaticIdentity(id.AgeIdentity(), rcpt)
	if err != nil {
		return nil, fmt.Errorf("keys for %s: %w", rcpt, err)
	}
	return &Keys{Rcpt: rcpt, Seal: seal, Open: open}, nil
}

// AuthorIdentity is the identity with which id opens entries whose author
// has the age recipient rcpt: the static-static form when rcpt is known,
// else id's plain age identity (standard X25519 stanzas only).
func AuthorIdentity(id *crypto.Identity, rcpt *age.X25519Recipient) age.Identity {
	if rcpt == nil {
		return id.AgeIdentity()
	}
	k, err := NewKeys(id, rcpt)
	if err != nil {
		return id.AgeIdentity()
	}
	return k.Open
}
