package crypto

import (
	"encoding/base64"

	"filippo.io/age"
)

// The age v1 header (https://age-encryption.org/v1) is written by the age
// library itself (age.Encrypt) and read by kpnode's parser
// (ageheader_parse.go), which follows age's rules and is held to
// age.DecryptHeader for any bytes (FuzzParseHeader, FuzzOpenVerdict), so
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
