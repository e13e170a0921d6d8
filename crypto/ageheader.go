package crypto

import (
	"bytes"
	"encoding/base64"
	"errors"

	"filippo.io/age"
)

// The age v1 header (https://age-encryption.org/v1) is parsed, checked and
// written by the age library itself (age.DecryptHeader, age.Encrypt), so
// that kpnode accepts exactly the files age accepts: the verdict on any
// input is age's (docs/security.md, "Equal verdicts"). kpnode adds only
// its stanza cap, applied before any stanza is tried.
const (
	// maxRecipientStanzas is age's own limit on the stanzas of a header:
	// age refuses more, whatever cap a caller of [Open] gives.
	maxRecipientStanzas = 1024
	stanzaPrefix        = "->"
)

// b64 is age's encoding of stanza arguments and bodies: standard
// alphabet, no padding, zero trailing bits.
var b64 = base64.RawStdEncoding.Strict()

// footerLine starts the last line of a header, "--- <MAC>".
var footerLine = []byte("\n---")

// openHeader unwraps the file key of ct with id through
// age.DecryptHeader (age's parser, its stanza loop, its header MAC), after
// refusing a header with more than maxStanzas stanzas, and returns the
// key and the payload that follows the header.
func openHeader(ct []byte, id age.Identity, maxStanzas int) (fileKey, payload []byte, err error) {
	capped := &stanzaCap{id: id, max: maxStanzas}
	fileKey, err = age.DecryptHeader(ct, capped)
	if err != nil {
		return nil, nil, openError(capped, err)
	}
	end, err := headerEnd(ct)
	if err != nil {
		return nil, nil, err
	}
	return fileKey, ct[end:], nil
}

// headerEnd returns the length of the header at the start of ct, which
// age has accepted: it ends with the first line that starts with "---",
// since every other line of a header age accepts is the intro, a stanza
// line (starting "->") or a line of base64 (no '-' in its alphabet).
func headerEnd(ct []byte) (int, error) {
	i := bytes.Index(ct, footerLine)
	if i < 0 {
		return 0, errors.New("find end of age header: no closing line")
	}
	j := bytes.IndexByte(ct[i+1:], '\n')
	if j < 0 {
		return 0, errors.New("find end of age header: closing line not terminated")
	}
	return i + 1 + j + 1, nil
}

// stanzaCap wraps an identity and refuses headers with too many stanzas
// before the wrapped identity tries any of them.
type stanzaCap struct {
	id      age.Identity
	max     int
	refused int
}

// Unwrap implements [age.Identity]: it refuses more than c.max stanzas,
// then lets the wrapped identity try them all, in age's order.
func (c *stanzaCap) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) > c.max {
		c.refused = len(stanzas)
		return nil, ErrTooManyStanzas
	}
	return c.id.Unwrap(stanzas)
}
