package crypto

import (
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
)

// WriteProtectedFile writes body to path encrypted with age's scrypt
// passphrase mode (armored, like a protected key file), mode 0600,
// atomically, refusing to overwrite an existing file. The passphrase is
// required: this is for secrets that never rest in plaintext, such as the
// store's encryption key.
func WriteProtectedFile(path string, body []byte, opts KeyFileOptions) error {
	if len(opts.Passphrase) == 0 {
		return fmt.Errorf("write %s: %w", path, ErrPassphraseRequired)
	}
	sealed, err := encryptWithPassphrase(body, opts)
	if err != nil {
		return fmt.Errorf("encrypt %s: %w", path, err)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write %s: %w", path, os.ErrExist)
	}
	return writeFileAtomic(path, sealed)
}

// ReadProtectedFile reads a file written by [WriteProtectedFile]. It
// refuses a file that group or others can read ([ErrKeyFilePermissions]),
// a missing passphrase ([ErrPassphraseRequired]), a wrong one
// ([ErrWrongPassphrase]) and a damaged file ([ErrMalformedKeyFile]).
func ReadProtectedFile(path string, passphrase Secret) ([]byte, error) {
	body, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}
	if !IsPassphraseProtected(body) {
		return nil, fmt.Errorf("read %s: %w: not passphrase-protected", path, ErrMalformedKeyFile)
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("read %s: %w", path, ErrPassphraseRequired)
	}
	out, err := decryptWithPassphrase(body, passphrase)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// EncryptStream returns a writer that encrypts what is written to it with
// age's scrypt passphrase mode (binary, not armored) into w. Close it to
// write the last chunk; it does not close w. workFactor 0 means age's
// default.
func EncryptStream(w io.Writer, passphrase Secret, workFactor int) (io.WriteCloser, error) {
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	r, err := age.NewScryptRecipient(string(passphrase.Reveal()))
	if err != nil {
		return nil, err
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	return age.Encrypt(w, r)
}

// DecryptStream returns the plaintext of an [EncryptStream] ciphertext
// read from r. A wrong passphrase is [ErrWrongPassphrase]. The plaintext is
// authenticated chunk by chunk: do not act on it before reading it to EOF
// without error.
func DecryptStream(r io.Reader, passphrase Secret) (io.Reader, error) {
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	id, err := age.NewScryptIdentity(string(passphrase.Reveal()))
	if err != nil {
		return nil, err
	}
	out, err := age.Decrypt(r, id)
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, ErrWrongPassphrase
	}
	return out, err
}
