package protocol

import (
	"encoding/base64"
	"fmt"
)

// HandoverType is the record type name of key hand-overs.
const HandoverType = "key_handover"

// maxHandoverCard bounds the base64 of the successor's card.
const maxHandoverCard = 4*MaxCardSize/3 + 4

func init() {
	register(HandoverType, "key hand-over: the author's last entry under this key names its successor", (*checker).handover)
}

// Handover is the body of a "key_handover" record, the last entry a key
// signs (docs/protocol.md, "Key hand-over"). The entry is signed by the old
// key; Card is the author's new card, self-signed by the new key, so each
// key vouches for the other. A partner that accepts it in chain order
// re-pins the author to the new card, and refuses anything the old key
// signs after it.
type Handover struct {
	Version int `json:"version"` // 1
	// Card is the signed card of the new key, base64 (standard, padded)
	// of its exact bytes: a card is verified over its bytes, which must
	// survive the compaction of record bodies unchanged.
	Card string `json:"card"`
	// Reason is free text for the partners' operators ("scheduled yearly
	// rotation").
	Reason string `json:"reason,omitempty"`
}

// ParseHandover decodes and strictly validates a hand-over body, reporting
// every problem in a *[ValidationError]. On error the hand-over is nil. It
// checks that the card decodes and verifies; whether it may succeed the
// author's key is the receiver's decision.
func ParseHandover(body []byte) (*Handover, error) {
	return parseBody(HandoverType, body, (*checker).handover)
}

func (c *checker) handover(o *object) *Handover {
	if o == nil || !o.version() {
		return nil
	}
	h := &Handover{Version: 1}
	h.Card = o.str("card", true, maxHandoverCard)
	if h.Card != "" {
		if _, err := h.SignedCard(); err != nil {
			c.add(o.at("card"), "%v", err)
		}
	}
	h.Reason = o.text("reason", false, 500)
	o.done()
	return h
}

// SignedCard decodes and verifies the successor's card.
func (h *Handover) SignedCard() (*SignedCard, error) {
	b, err := base64.StdEncoding.DecodeString(h.Card)
	if err != nil {
		return nil, fmt.Errorf("card is not base64: %v", err)
	}
	return ParseCard(b)
}

// NewHandover is the body of a hand-over to the key of card sc.
func NewHandover(sc *SignedCard, reason string) Handover {
	return Handover{Version: 1, Card: base64.StdEncoding.EncodeToString(sc.Bytes()), Reason: reason}
}

// TypeName returns [HandoverType].
func (h *Handover) TypeName() string { return HandoverType }

// Noun returns "key hand-over".
func (h *Handover) Noun() string { return "key hand-over" }

// Replaces returns nil: a hand-over replaces a key, not a record.
func (h *Handover) Replaces() *Supersedes { return nil }

// Parties reports that a hand-over goes to whom the operator names (the
// node sends it to every partner).
func (h *Handover) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the zero Date: a hand-over is filed under no date.
func (h *Handover) Filed() Date { return Date{} }

// Concerns returns nil: a hand-over names no participant.
func (h *Handover) Concerns() []string { return nil }

// ForEveryPartner reports false.
func (h *Handover) ForEveryPartner() bool { return false }

// Author returns none.
func (h *Handover) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
