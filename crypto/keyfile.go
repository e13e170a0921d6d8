package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// KeyFileOptions tunes [WriteKeyFile].
type KeyFileOptions struct {
	// Passphrase, when not empty, encrypts the key file with age's scrypt
	// passphrase mode.
	Passphrase Secret
	// WorkFactor is the scrypt log2 work factor; 0 means age's default (18,
	// about a second). Tests lower it.
	WorkFactor int
}

// maxKeyFileSize bounds what ReadKeyFile reads: a key file is a few hundred bytes.
const maxKeyFileSize = 64 << 10

// WriteKeyFile writes id to path with mode 0600. It refuses to overwrite an
// existing file. The file is written to a temporary name and renamed, so a
// crash never leaves half a key.
func WriteKeyFile(path string, id *Identity, opts KeyFileOptions) error {
	body := id.marshal()
	if len(opts.Passphrase) > 0 {
		var err error
		if body, err = encryptWithPassphrase(body, opts); err != nil {
			return fmt.Errorf("encrypt key file %s: %w", path, err)
		}
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write key file %s: %w", path, os.ErrExist)
	}
	return writeFileAtomic(path, body)
}

func writeFileAtomic(path string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path) // fails if path appeared meanwhile
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func encryptWithPassphrase(body []byte, opts KeyFileOptions) ([]byte, error) {
	r, err := age.NewScryptRecipient(string(opts.Passphrase.Reveal()))
	if err != nil {
		return nil, err
	}
	if opts.WorkFactor > 0 {
		r.SetWorkFactor(opts.WorkFactor)
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadKeyFile reads an identity written by [WriteKeyFile]. It refuses a file
// that group or others can read ([ErrKeyFilePermissions]), asks for a
// passphrase only when the file is protected ([ErrPassphraseRequired],
// [ErrWrongPassphrase]) and reports truncated or garbled files as
// [ErrMalformedKeyFile]. Every error names the file.
func ReadKeyFile(path string, passphrase Secret) (*Identity, error) {
	body, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}
	id, err := ParseKeyFile(body, passphrase)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	return id, nil
}

// ParseKeyFile parses the contents of a key file written by
// [WriteKeyFile], decrypting it with passphrase when it is protected. Its
// errors are those of [ReadKeyFile], without the file's name.
func ParseKeyFile(body []byte, passphrase Secret) (*Identity, error) {
	if IsPassphraseProtected(body) {
		if len(passphrase) == 0 {
			return nil, ErrPassphraseRequired
		}
		var err error
		if body, err = decryptWithPassphrase(body, passphrase); err != nil {
			return nil, err
		}
	}
	return ParseIdentity(body)
}

// IsPassphraseProtected reports whether a key file body is age-encrypted
// with a passphrase.
func IsPassphraseProtected(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte(armor.Header))
}

// readPrivateFile reads a secret file after checking its permissions.
func readPrivateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read secret file %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("read secret file %s (mode %#o): %w; run: chmod 600 %s", path, perm, ErrKeyFilePermissions, path)
	}
	body, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(body) > maxKeyFileSize {
		return nil, fmt.Errorf("read key file %s: %w: larger than %d bytes", path, ErrMalformedKeyFile, maxKeyFileSize)
	}
	return body, nil
}

func decryptWithPassphrase(body []byte, passphrase Secret) ([]byte, error) {
	id, err := age.NewScryptIdentity(string(passphrase.Reveal()))
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(body)), id)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("%w: %v (file truncated?)", ErrMalformedKeyFile, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (file truncated?)", ErrMalformedKeyFile, err)
	}
	return out, nil
}

// ReadSecretFile reads a secret (a passphrase, an API token) from a file:
// its first line, without the line ending. It refuses an empty secret and a
// file that group or others can read.
func ReadSecretFile(path string) (Secret, error) {
	body, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(body), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return nil, fmt.Errorf("read secret file %s: the first line is empty", path)
	}
	return Secret(line), nil
}

// WriteSecretFile writes a one-line secret to path with mode 0600, refusing
// to overwrite an existing file.
func WriteSecretFile(path string, s Secret) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write secret file %s: %w", path, os.ErrExist)
	}
	return writeFileAtomic(path, append(bytes.Clone(s.Reveal()), '\n'))
}

// ReplaceSecretFile writes s to path (mode 0600) in place of what it
// held: a reader sees the old secret or the new one, never a part.
func ReplaceSecretFile(path string, s Secret) error {
	tmp := path + ".new"
	os.Remove(tmp)
	if err := writeFileAtomic(tmp, append(bytes.Clone(s.Reveal()), '\n')); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// NewToken returns a random 256-bit bearer token, URL-safe base64.
func NewToken() (Secret, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate token: %w", err)
	}
	return Secret(base64.RawURLEncoding.EncodeToString(b)), nil
}
