package protocol

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
)

// Card limits.
const (
	// CardVersion is the version of the card JSON this package writes.
	CardVersion = 1
	// MaxCardSize caps a card file, in bytes.
	MaxCardSize = 64 << 10
	// MaxCardAddrs caps the number of addresses on a card.
	MaxCardAddrs = 16
)

// Card is a participant's self-description, exchanged out of band when two
// authorities become partners.
type Card struct {
	Version      int       `json:"version"`       // CardVersion
	Code         string    `json:"code"`          // participant code, see [ValidCode]
	Name         string    `json:"name"`          // authority name, 1..200 characters
	PeerID       string    `json:"peer_id"`       // libp2p peer ID of the signing key
	AgeRecipient string    `json:"age_recipient"` // "age1…", what partners seal to
	Addrs        []string  `json:"addrs"`         // multiaddrs, 0..MaxCardAddrs
	Created      time.Time `json:"created"`       // RFC 3339
}

// SignedCard is a card with the key that signed it. It is immutable; Card
// is for reading only.
type SignedCard struct {
	Card Card
	Key  crypto.PublicKey

	raw  []byte // the card JSON exactly as signed
	sig  []byte
	rcpt *age.X25519Recipient
}

// SignCard validates c and signs it with id. It fills an empty Version with
// CardVersion, an empty PeerID and AgeRecipient from id, and truncates
// Created to whole seconds in UTC; Created must be set.
func SignCard(c Card, id *crypto.Identity) (*SignedCard, error) {
	if c.Version == 0 {
		c.Version = CardVersion
	}
	if c.PeerID == "" {
		c.PeerID = id.Public().PeerID()
	}
	if c.AgeRecipient == "" {
		c.AgeRecipient = id.Recipient().String()
	}
	if c.Addrs == nil {
		c.Addrs = []string{}
	}
	c.Created = c.Created.UTC().Truncate(time.Second)
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("sign card: %w", err)
	}
	sc, err := newSignedCard(id.Public(), raw, id.Sign(crypto.DomainCard, raw))
	if err != nil {
		return nil, fmt.Errorf("sign card: %w", err)
	}
	return sc, nil
}

// ParseCard reads a card file from untrusted bytes. In order it checks the
// size cap, the envelope (exactly "card", "signing_key" and "signature"), the
// signature over the card's exact bytes, and only then decodes and validates
// the card. Problems with fields come as a *[ValidationError]; a bad
// signature wraps [ErrBadSignature]. On error the card is nil.
func ParseCard(b []byte) (*SignedCard, error) {
	if len(b) > MaxCardSize {
		return nil, fmt.Errorf("parse card: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxCardSize)
	}
	raw, key, sig, err := parseCardEnvelope(b)
	if err != nil {
		return nil, fmt.Errorf("parse card: %w", err)
	}
	if !crypto.Verify(crypto.DomainCard, key, raw, sig) {
		return nil, fmt.Errorf("parse card: %w", ErrBadSignature)
	}
	sc, err := newSignedCard(key, raw, sig)
	if err != nil {
		return nil, fmt.Errorf("parse card: %w", err)
	}
	return sc, nil
}

// parseCardEnvelope returns the raw card bytes, the signing key and the
// signature of a card file.
func parseCardEnvelope(b []byte) (raw []byte, key crypto.PublicKey, sig []byte, err error) {
	c := &checker{}
	o := c.document(b, MaxCardSize)
	if n, ok := o.get("card", true); ok && o.d.nodes[n].kind != '{' {
		c.add(o.at("card"), "must be an object")
	} else if ok {
		raw = o.d.raw(n)
	}
	o.pattern("signing_key", true, 64, "base64 of a 32-byte Ed25519 key", func(s string) bool {
		var perr error
		key, perr = crypto.ParsePublicKey(s)
		return perr == nil
	})
	o.pattern("signature", true, 100, "base64 of a 64-byte signature", func(s string) bool {
		sig, _ = base64.StdEncoding.DecodeString(s)
		return len(sig) == crypto.SignatureSize
	})
	o.done()
	if err := c.err("card file"); err != nil {
		return nil, key, nil, err
	}
	return raw, key, sig, nil
}

// newSignedCard validates the card JSON raw, whose signature by key has been
// checked or just made. It copies raw and sig.
func newSignedCard(key crypto.PublicKey, raw, sig []byte) (*SignedCard, error) {
	c := &checker{}
	card, rcpt := c.card(c.document(raw, MaxCardSize), key)
	if err := c.err("card"); err != nil {
		return nil, err
	}
	return &SignedCard{Card: *card, Key: key, raw: append([]byte(nil), raw...), sig: append([]byte(nil), sig...), rcpt: rcpt}, nil
}

// Bytes returns the card file: the envelope around the card's exact signed
// bytes, ending in a newline. It equals ParseCard's input when that input was
// itself written by Bytes. The caller must not modify it.
func (sc *SignedCard) Bytes() []byte {
	b := make([]byte, 0, len(sc.raw)+200)
	b = append(b, `{"card":`...)
	b = append(b, sc.raw...)
	b = append(b, `,"signing_key":"`...)
	b = append(b, sc.Key.String()...)
	b = append(b, `","signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, sc.sig)
	return append(b, "\"}\n"...)
}

// Fingerprint returns the short human fingerprint of the signing key.
func (sc *SignedCard) Fingerprint() string { return sc.Key.Fingerprint() }

// Recipient returns the age recipient to seal records to this participant.
func (sc *SignedCard) Recipient() *age.X25519Recipient { return sc.rcpt }

// LogValue summarises the card for logs.
func (sc *SignedCard) LogValue() slog.Value {
	return slog.GroupValue(slog.String("code", sc.Card.Code), slog.String("fingerprint", sc.Fingerprint()))
}
