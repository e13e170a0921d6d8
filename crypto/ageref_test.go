package crypto

import (
	"bytes"
	"io"

	"filippo.io/age"
)

// openWithAge is OpenHint as it was before the one-chunk path: everything
// through age.Decrypt, with the same stanza cap and hint. Tests and
// benchmarks compare against it.
func openWithAge(ciphertext []byte, id age.Identity, maxStanzas, hint int) ([]byte, error) {
	capped := &stanzaCap{id: id, max: maxStanzas, hint: hint}
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
