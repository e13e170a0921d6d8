package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// EvidenceBundleVersion is the version of the evidence bundle format
// (docs/protocol.md §3.2).
const EvidenceBundleVersion = 1

// MaxEvidenceBundleSize caps an evidence bundle file: an entry of
// [MaxEntrySize], its body and one batch item, each in base64, and a card.
const MaxEvidenceBundleSize = 24 << 20

// EvidenceBundle is a self-contained proof, checkable offline by anyone,
// that a participant signed a record: the entry as its author signed it,
// the salt and body that open the entry's commitment, and the author's
// self-signed card, which ties the signing key to a participant code and
// name. For a batch entry it may single out one item.
//
// A bundle is decoded from untrusted bytes by [DecodeEvidenceBundle] and
// proves nothing until [EvidenceBundle.Verify] succeeds.
type EvidenceBundle struct {
	Type     string // the record type, as the entry names it
	Card     []byte // the author's signed card file (see [ParseCard])
	Entry    []byte // the entry's exact wire bytes
	Salt     []byte // the 32-byte salt sealed with the record
	Body     []byte // the record body, as sealed
	Item     *int   // for a batch entry: the index of the item singled out
	ItemBody []byte // that item's body, exactly as it appears in the batch
}

// bundleJSON is the canonical JSON form of an EvidenceBundle: members in
// this order, byte strings in standard base64 with padding.
type bundleJSON struct {
	Version  int    `json:"version"`
	Type     string `json:"type"`
	Card     []byte `json:"card"`
	Entry    []byte `json:"entry"`
	Salt     []byte `json:"salt"`
	Body     []byte `json:"body"`
	Item     *int   `json:"item,omitempty"`
	ItemBody []byte `json:"item_body,omitempty"`
}

// Encode returns the bundle's canonical JSON file, ending in a newline.
func (b *EvidenceBundle) Encode() []byte {
	js, err := json.MarshalIndent(bundleJSON{Version: EvidenceBundleVersion, Type: b.Type, Card: b.Card,
		Entry: b.Entry, Salt: b.Salt, Body: b.Body, Item: b.Item, ItemBody: b.ItemBody}, "", "  ")
	if err != nil {
		panic(err) // strings, ints and byte slices always marshal
	}
	return append(js, '\n')
}

// DecodeEvidenceBundle reads a bundle file from untrusted bytes. It checks
// the size cap, the JSON framing (no unknown or duplicate members) and each
// member's form, and reports every problem in a *[ValidationError] naming
// the member. It checks no signature: call [EvidenceBundle.Verify]. On
// error the bundle is nil.
func DecodeEvidenceBundle(b []byte) (*EvidenceBundle, error) {
	if len(b) > MaxEvidenceBundleSize {
		return nil, fmt.Errorf("decode evidence bundle: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEvidenceBundleSize)
	}
	c := &checker{}
	bundle := c.evidenceBundle(c.document(b, MaxEvidenceBundleSize))
	if err := c.err("evidence bundle"); err != nil {
		return nil, err
	}
	return bundle, nil
}

func (c *checker) evidenceBundle(o *object) *EvidenceBundle {
	if o == nil || !o.version() {
		return nil
	}
	b := &EvidenceBundle{}
	b.Type = o.pattern("type", true, MaxTypeLen, "a record type name", validTypeName)
	b.Card = o.base64("card", true, MaxCardSize)
	b.Entry = o.base64("entry", true, MaxEntrySize)
	b.Salt = o.base64("salt", true, SaltSize)
	if b.Salt != nil && len(b.Salt) != SaltSize {
		c.add(o.at("salt"), "must be %d bytes, got %d", SaltSize, len(b.Salt))
	}
	b.Body = o.base64("body", true, MaxEntrySize)
	if o.has("item") {
		i := int(o.integer("item", true, 0, MaxBatchItems-1))
		b.Item = &i
	}
	b.ItemBody = o.base64("item_body", b.Item != nil, MaxEntrySize)
	if b.Item == nil && b.ItemBody != nil {
		c.add(o.at("item_body"), "needs \"item\"")
	}
	o.done()
	return b
}

// base64 reads a non-empty string of standard base64 with padding that
// decodes to at most max bytes.
func (o *object) base64(name string, required bool, max int) []byte {
	s, ok := o.stringMember(name, required)
	switch {
	case !ok:
		return nil
	case s == "":
		if required {
			o.c.add(o.at(name), "is required")
		}
		return nil
	case base64.StdEncoding.DecodedLen(len(s)) > max+3:
		o.c.add(o.at(name), "decodes to more than %d bytes", max)
		return nil
	}
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	switch {
	case err != nil:
		o.c.add(o.at(name), "must be standard base64 with padding (%v)", err)
		return nil
	case len(v) > max:
		o.c.add(o.at(name), "decodes to %d bytes, more than %d", len(v), max)
		return nil
	}
	return v
}

// ProvenRecord is what a verified [EvidenceBundle] proves: the participant
// of Card signed Entry, whose commitment Body opens, and Body is a valid
// record of Entry.Type; for a batch item, ItemBody is item Item of it.
type ProvenRecord struct {
	Card     *SignedCard // the author's card, its self-signature checked
	Entry    *Entry      // the entry, signed by Card's key
	Body     []byte      // the record body
	Item     *int        // the batch item singled out, if any
	ItemType string      // the batch's item type, when Item is set
	ItemBody []byte      // the item's body, when Item is set
}

// Verify checks the bundle, in this order: the card's self-signature and
// fields; the entry's signature; that the entry is signed by the card's
// key; that the bundle's type is the entry's; that salt and body open the
// entry's commitment; that the body is a valid record of its type; and for
// an item, that the entry is a batch holding ItemBody at index Item. The
// first failure is returned, naming the part that fails and wrapping
// [ErrBadSignature], [ErrEvidence], [ErrCommitment], [ErrUnknownType] or a
// *[ValidationError]. On error the result is nil.
func (b *EvidenceBundle) Verify() (*ProvenRecord, error) {
	p, err := b.verify()
	if err != nil {
		return nil, fmt.Errorf("verify evidence bundle: %w", err)
	}
	return p, nil
}

func (b *EvidenceBundle) verify() (*ProvenRecord, error) {
	card, err := ParseCard(b.Card)
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	e, err := b.signedEntry(card)
	if err != nil {
		return nil, err
	}
	if err := b.checkBody(e); err != nil {
		return nil, err
	}
	p := &ProvenRecord{Card: card, Entry: e, Body: bytes.Clone(b.Body)}
	if b.Item == nil {
		return p, nil
	}
	if p.ItemType, err = b.checkItem(e); err != nil {
		return nil, err
	}
	item := *b.Item
	p.Item, p.ItemBody = &item, bytes.Clone(b.ItemBody)
	return p, nil
}

// signedEntry decodes the entry and checks that card's key signed it and
// that it has the bundle's type.
func (b *EvidenceBundle) signedEntry(card *SignedCard) (*Entry, error) {
	e, err := DecodeEntry(b.Entry)
	if err != nil {
		return nil, fmt.Errorf("entry: %w", err)
	}
	if e.Author != card.Key {
		return nil, fmt.Errorf("entry: %w: it is signed by key %s, not by the key of the card of %s (%s)",
			ErrEvidence, e.Author.Fingerprint(), card.Card.Code, card.Fingerprint())
	}
	if b.Type != e.Type {
		return nil, fmt.Errorf("type: %w: the bundle says %q, the entry signs %q", ErrEvidence, b.Type, e.Type)
	}
	return e, nil
}

// checkBody checks that salt and body open e's commitment and that the
// body is valid for e's type.
func (b *EvidenceBundle) checkBody(e *Entry) error {
	if len(b.Salt) != SaltSize {
		return fmt.Errorf("salt: %w: %d bytes, want %d", ErrCommitment, len(b.Salt), SaltSize)
	}
	if err := CheckCommitment(e.Commitment, [SaltSize]byte(b.Salt), b.Body); err != nil {
		return fmt.Errorf("salt and body do not open the entry's commitment: %w", err)
	}
	if err := ValidateRecord(e.Type, b.Body); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// checkItem checks that e's body is a batch holding ItemBody at Item, and
// returns the batch's item type.
func (b *EvidenceBundle) checkItem(e *Entry) (string, error) {
	if e.Type != BatchType {
		return "", fmt.Errorf("item: %w: the entry is a %s, not a %s", ErrEvidence, e.Type, BatchType)
	}
	typ, items, err := BatchItems(b.Body)
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	i := *b.Item
	if i < 0 || i >= len(items) {
		return "", fmt.Errorf("item: %w: index %d, the batch has %d item(s)", ErrEvidence, i, len(items))
	}
	if !bytes.Equal(items[i], b.ItemBody) {
		return "", fmt.Errorf("item_body: %w: it differs from item %d of the batch (counting from 1; index %d)", ErrEvidence, i+1, i)
	}
	return typ, nil
}
