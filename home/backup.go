package home

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// BackupOptions tunes [CreateBackup].
type BackupOptions struct {
	Participant, Name, Fingerprint string
	// Passphrase encrypts the body when Encrypt is set.
	Passphrase crypto.Secret
	Encrypt    bool
	WorkFactor int // scrypt work factor; 0 for age's default
	// Files are home files to keep with the backup (see [BackupHeader.Files]).
	Files map[string][]byte
}

// CreateBackup writes a backup file at path, refusing to replace an
// existing file. fill writes the store's backup stream (from
// [store.Store.Backup] or from a running node's API) and returns its
// description. The body goes to a temporary file first (encrypted when
// opts.Encrypt), so that the header can carry its hash.
func CreateBackup(path string, opts BackupOptions, fill func(w io.Writer) (store.BackupInfo, error)) (BackupHeader, error) {
	if _, err := os.Lstat(path); err == nil {
		return BackupHeader{}, fmt.Errorf("back up to %s: %w (backups never replace a file)", path, os.ErrExist)
	}
	if opts.Encrypt && len(opts.Passphrase) == 0 {
		return BackupHeader{}, fmt.Errorf("back up to %s: the store is encrypted: %w", path, crypto.ErrPassphraseRequired)
	}
	body, err := os.CreateTemp(filepath.Dir(path), ".tmp-body-"+filepath.Base(path)+"-*")
	if err != nil {
		return BackupHeader{}, fmt.Errorf("back up to %s: %w", path, err)
	}
	defer os.Remove(body.Name())
	defer body.Close()
	hdr := BackupHeader{Format: backupFormat, Version: backupVersion, Participant: opts.Participant, Name: opts.Name,
		Fingerprint: opts.Fingerprint, Created: time.Now().UTC(), Encrypted: opts.Encrypt, Files: opts.Files}
	if err := fillBody(body, opts, fill, &hdr); err != nil {
		return BackupHeader{}, fmt.Errorf("back up to %s: %w", path, err)
	}
	if err := hdr.check(); err != nil {
		return BackupHeader{}, fmt.Errorf("back up to %s: %w", path, err)
	}
	if err := writeBackupFile(path, hdr, body); err != nil {
		return BackupHeader{}, fmt.Errorf("back up to %s: %w", path, err)
	}
	return hdr, nil
}

// fillBody writes the (encrypted) body to f and records its size, hash
// and description in hdr.
func fillBody(f *os.File, opts BackupOptions, fill func(w io.Writer) (store.BackupInfo, error), hdr *BackupHeader) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	var w io.WriteCloser = nopCloser{cw}
	if opts.Encrypt {
		var err error
		if w, err = crypto.EncryptStream(cw, opts.Passphrase, opts.WorkFactor); err != nil {
			return err
		}
	}
	info, err := fill(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if info.StreamSize == 0 {
		return errors.New("the store's backup stream is empty")
	}
	hdr.Store, hdr.BodySize, hdr.BodySHA256 = info, cw.n, hex.EncodeToString(h.Sum(nil))
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// HomeFiles reads the home files a backup may carry (config.json,
// identity.key and the retired keys, which still open what partners
// sealed to them), byte for byte.
func (h Home) HomeFiles() (map[string][]byte, error) {
	retired, err := filepath.Glob(filepath.Join(h.RetiredKeyDir(), "*.key"))
	if err != nil {
		return nil, fmt.Errorf("list the retired keys for the backup: %w", err)
	}
	names := slices.Clone(backupFiles)
	for _, p := range retired {
		names = append(names, retiredKeyPrefix+filepath.Base(p))
	}
	out := map[string][]byte{}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(h.Dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("read %s for the backup: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}
