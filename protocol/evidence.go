package protocol

import (
	"bytes"
	"fmt"
)

// Evidence lets a recipient show a third party, offline, that an author
// signed a record: the entry's wire bytes carry the author's signature over
// the commitment, and the salt and body open that commitment. In JSON the
// three fields are base64.
type Evidence struct {
	Entry []byte `json:"entry"` // the entry's exact wire bytes
	Salt  []byte `json:"salt"`  // the 32-byte salt sealed with the record
	Body  []byte `json:"body"`  // the record body
}

// NewEvidence bundles an entry with the salt and body [OpenRecord] returned
// for it. It copies body.
func NewEvidence(e *Entry, salt [SaltSize]byte, body []byte) *Evidence {
	return &Evidence{Entry: e.Bytes(), Salt: salt[:], Body: bytes.Clone(body)}
}

// Verify decodes and authenticates the entry and checks that salt and body
// open its commitment. It returns the entry; the caller decides whether it
// trusts the author's key (e.Author) and may validate the body against
// e.Type with [ValidateRecord].
func (ev *Evidence) Verify() (*Entry, error) {
	e, err := DecodeEntry(ev.Entry)
	if err != nil {
		return nil, fmt.Errorf("verify evidence: %w", err)
	}
	if len(ev.Salt) != SaltSize {
		return nil, fmt.Errorf("verify evidence: %w: salt of %d bytes, want %d", ErrCommitment, len(ev.Salt), SaltSize)
	}
	if err := CheckCommitment(e.Commitment, [SaltSize]byte(ev.Salt), ev.Body); err != nil {
		return nil, fmt.Errorf("verify evidence: %w", err)
	}
	return e, nil
}
