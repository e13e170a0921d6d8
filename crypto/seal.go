package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Seal encrypts plaintext to every recipient in age's binary format
// (age-encryption.org/v1), through age.Encrypt: the header and the payload
// are age's own. An *age.X25519Recipient is replaced by its crypto/ecdh
// form, which writes the same stanza with two scalar multiplications
// where age's Wrap does four; a [StaticRecipient] writes a static-static
// stanza with none.
func Seal(plaintext []byte, recipients []age.Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("seal: no recipients")
	}
	rs, err := fastRecipients(recipients)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(SealedSizeBound(len(plaintext), len(recipients)))
	w, err := age.Encrypt(&buf, rs...)
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

// SealedSizeBound is at least the size of what [Seal] returns for
// plaintext bytes sealed to n recipients of the kinds it speeds up
// (X25519 and [StaticRecipient]): the intro and MAC lines, one X25519 or
// static-static stanza per recipient, the nonce and the chunks with their
// tags. It is exact but for one tag when plaintext is a non-zero multiple
// of age's 64 KiB chunk. Callers size buffers with it, and limits that the
// sealed result must meet.
func SealedSizeBound(plaintext, n int) int {
	const fixed = len("age-encryption.org/v1\n") + len("--- \n") + 43 + streamNonceSize
	return fixed + n*max(x25519StanzaSize, ssStanzaSize) + plaintext + tagSize*(1+plaintext/chunkSize)
}

// Open decrypts a ciphertext made by [Seal] (or by any age implementation)
// with id, giving the verdict age.Decrypt gives with id for every input
// (docs/security.md, "Equal verdicts"), except that it refuses, before id
// tries any stanza, a header with more than maxStanzas recipient stanzas
// ([ErrTooManyStanzas]). It returns [ErrNotRecipient] when id is not a
// recipient. The plaintext is returned only once the whole ciphertext has
// authenticated.
//
// The header is parsed by kpnode's parser of age's format
// (ageheader_parse.go, held to age.DecryptHeader for any bytes), its
// stanzas tried in age's order and its MAC checked as age does; a payload
// of one chunk (plaintext up to 64 KiB) is decrypted here without age's
// streaming buffers, a longer one by the age library with the file key
// found here.
// An *age.X25519Identity unwraps through a cached crypto/ecdh form of its
// key (one scalar multiplication per stanza tried, against age's two),
// with exactly age's rules.
func Open(ciphertext []byte, id age.Identity, maxStanzas int) ([]byte, error) {
	fileKey, payload, err := openHeader(ciphertext, fastIdentity(id), maxStanzas)
	if err != nil {
		return nil, err
	}
	if len(payload) > streamNonceSize+encChunkSize {
		return openStream(ciphertext, fileKey)
	}
	pt, err := openOneChunk(fileKey, payload)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return pt, nil
}

// openStream decrypts a multi-chunk ciphertext through age's streaming
// reader, with the file key already unwrapped (and the header MAC checked)
// by [Open], so no stanza is tried twice.
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

// openError names the cause of a refused header: the cap, no matching
// stanza, or age's own error.
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

// ParseRecipient parses an age X25519 recipient ("age1…").
func ParseRecipient(s string) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		return nil, fmt.Errorf("parse age recipient: %w", err)
	}
	return r, nil
}
