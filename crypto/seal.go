package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Seal encrypts plaintext to every recipient in age's binary format
// (age-encryption.org/v1). Each X25519 recipient adds one 98-byte stanza
// and two scalar multiplications; each [StaticRecipient] one 91-byte
// stanza and no scalar multiplication. A plaintext of at most 64 KiB
// sealed to recipients all of one of these two kinds (every record) is
// written directly into one buffer of the exact size; anything else goes
// through the age library. Both write the same format.
func Seal(plaintext []byte, recipients []age.Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("seal: no recipients")
	}
	if len(plaintext) > chunkSize {
		return sealStream(plaintext, recipients)
	}
	writers, size, err := oneChunkWriters(recipients)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if writers == nil {
		return sealStream(plaintext, recipients)
	}
	ct, err := sealOneChunk(plaintext, writers, size)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return ct, nil
}

// oneChunkWriters returns the stanza writers of recipients and the bytes
// their stanzas take when they are all X25519 or all static recipients,
// and nil otherwise.
func oneChunkWriters(recipients []age.Recipient) ([]stanzaWriter, int, error) {
	ss, ok, err := staticRecipients(recipients)
	if err != nil || ok {
		ws := make([]stanzaWriter, len(ss))
		for i, r := range ss {
			ws[i] = r.appendStanza
		}
		return ws, len(ss) * ssStanzaSize, err
	}
	keys, ok, err := x25519PublicKeys(recipients)
	if err != nil || !ok {
		return nil, 0, err
	}
	return x25519Writers(keys), len(keys) * x25519StanzaSize, nil
}

// sealStream is [Seal] through age's streaming writer.
func sealStream(plaintext []byte, recipients []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(plaintext) + 86 + 98*len(recipients) + tagSize*(1+len(plaintext)/chunkSize))
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return buf.Bytes(), nil
}

// Open decrypts a ciphertext made by [Seal] (or by any age implementation).
// It parses the header as strictly as age does and refuses, before any
// asymmetric work, a header with more than maxStanzas recipient stanzas
// ([ErrTooManyStanzas]); it returns [ErrNotRecipient] when id is not a
// recipient. The plaintext is returned only once the whole ciphertext has
// authenticated.
func Open(ciphertext []byte, id age.Identity, maxStanzas int) ([]byte, error) {
	return OpenHint(ciphertext, id, maxStanzas, -1)
}

// OpenHint is [Open] for a reader that knows which stanza is probably its
// own (its position among the recipients [Seal] was given): it tries that
// stanza first and the others only if it fails, saving one scalar
// multiplication per stanza it would have tried before. A hint out of
// range means no hint.
//
// The header and a payload of one chunk (plaintext up to 64 KiB) are
// handled here without age's streaming buffers; a longer payload is
// decrypted by the age library with the file key found here. An
// *age.X25519Identity unwraps through a cached crypto/ecdh form of its key
// (one scalar multiplication per stanza tried, against age's two), with
// exactly age's rules.
func OpenHint(ciphertext []byte, id age.Identity, maxStanzas, hint int) ([]byte, error) {
	h, err := parseHeader(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	capped := &stanzaCap{id: fastIdentity(id), max: maxStanzas, hint: hint}
	fileKey, err := capped.fileKey(h.stanzas)
	if err != nil {
		return nil, openError(capped, err)
	}
	if err := h.verifyMAC(fileKey); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if len(h.payload) > streamNonceSize+encChunkSize {
		return openStream(ciphertext, fileKey)
	}
	pt, err := openOneChunk(fileKey, h.payload)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return pt, nil
}

// openStream decrypts a multi-chunk ciphertext through age's streaming
// reader, with the file key already unwrapped (and the header MAC checked)
// by [OpenHint], so no stanza is tried twice.
func openStream(ciphertext, fileKey []byte) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), age.NewInjectedFileKeyIdentity(fileKey))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return out, nil
}

func openError(c *stanzaCap, err error) error {
	switch {
	case c.refused > 0:
		return fmt.Errorf("open: %w: %d stanzas, at most %d allowed", ErrTooManyStanzas, c.refused, c.max)
	case errors.Is(err, age.ErrIncorrectIdentity):
		return fmt.Errorf("open: %w", ErrNotRecipient)
	default:
		return fmt.Errorf("open: %w", err)
	}
}

// stanzaCap wraps an identity and refuses headers with too many stanzas
// before the wrapped identity tries any of them.
type stanzaCap struct {
	id      age.Identity
	max     int
	hint    int
	refused int
}

// fileKey unwraps the file key from the stanzas as age's Decrypt does with
// a single identity: an identity that returns neither a key nor an error
// has not matched.
func (c *stanzaCap) fileKey(stanzas []*age.Stanza) ([]byte, error) {
	key, err := c.Unwrap(stanzas)
	if err == nil && key == nil {
		err = age.ErrIncorrectIdentity
	}
	return key, err
}

// Unwrap implements [age.Identity]: it refuses more than c.max stanzas,
// then tries the hinted stanza first and the others in order.
func (c *stanzaCap) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) > c.max {
		c.refused = len(stanzas)
		return nil, ErrTooManyStanzas
	}
	if c.hint < 0 || c.hint >= len(stanzas) || len(stanzas) == 1 {
		return c.id.Unwrap(stanzas)
	}
	key, err := c.id.Unwrap(stanzas[c.hint : c.hint+1])
	if err == nil || !errors.Is(err, age.ErrIncorrectIdentity) {
		return key, err
	}
	rest := make([]*age.Stanza, 0, len(stanzas)-1)
	rest = append(append(rest, stanzas[:c.hint]...), stanzas[c.hint+1:]...)
	return c.id.Unwrap(rest)
}

// ParseRecipient parses an age X25519 recipient ("age1…").
func ParseRecipient(s string) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		return nil, fmt.Errorf("parse age recipient: %w", err)
	}
	return r, nil
}
