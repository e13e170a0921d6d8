package crypto

import (
	"bytes"
	"io"

	"filippo.io/age"
)

// openWithAge is Open done wholly by the age library: age.Decrypt with the
// same stanza cap, read to the end. Benchmarks compare against it.
func openWithAge(ciphertext []byte, id age.Identity, maxStanzas int) ([]byte, error) {
	capped := &stanzaCap{id: id, max: maxStanzas}
	r, err := age.Decrypt(bytes.NewReader(ciphertext), capped)
	if err != nil {
		return nil, openError(capped, err)
	}
	return io.ReadAll(r)
}

// ageDecrypt is the age library's verdict on a ciphertext: plain
// age.Decrypt with one identity, read to the end.
func ageDecrypt(ciphertext []byte, id age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// sealStream is Seal done wholly by the age library: age.Encrypt with the
// recipients as given (age's own X25519 Wrap).
func sealStream(plaintext []byte, recipients []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
