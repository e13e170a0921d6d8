package home

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// A backup file (docs/operations.md, "Backup and restore") is
//
//	kpnode-backup 1\n
//	header JSON (one line, at most maxBackupHeader bytes)\n
//	SHA-256 of the header line, hex\n
//	body: the store's backup stream, age-encrypted with the node
//	      passphrase (scrypt) when the store is encrypted
//
// The header names the body's size and SHA-256, so a file is checked
// whole before anything is restored from it.
const (
	backupMagic     = "kpnode-backup 1"
	backupFormat    = "kpnode-backup"
	backupVersion   = 1
	maxBackupHeader = 1 << 20
)

// BackupHeader describes a backup file.
type BackupHeader struct {
	Format      string    `json:"format"`  // "kpnode-backup"
	Version     int       `json:"version"` // 1
	Participant string    `json:"participant"`
	Name        string    `json:"name"`
	Fingerprint string    `json:"fingerprint"` // of the node's identity
	Created     time.Time `json:"created"`     // when the snapshot was taken
	// Encrypted: the body is age-encrypted with the node passphrase
	// (scrypt), because the store it comes from is encrypted at rest.
	Encrypted bool `json:"encrypted"`
	// Store describes the snapshot: layout, store id, counts, heads.
	Store      store.BackupInfo `json:"store"`
	BodySize   int64            `json:"body_size"`
	BodySHA256 string           `json:"body_sha256"`
	// Files holds home files kept with the backup (--with-keys):
	// config.json and identity.key, byte for byte as in the home (so a
	// protected key stays passphrase-protected).
	Files map[string][]byte `json:"files,omitempty"`
}

// backupFiles are the home files a backup may carry.
var backupFiles = []string{"config.json", "identity.key"}

// writeBackupFile writes hdr and the body held in body (already encrypted
// if it must be) to path atomically, 0600: a temporary file, fsync,
// rename, fsync of the directory.
func writeBackupFile(path string, hdr BackupHeader, body *os.File) error {
	line, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(line)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	fmt.Fprintf(w, "%s\n%s\n%s\n", backupMagic, line, hex.EncodeToString(sum[:]))
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(w, body); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// BackupFile is a backup file opened for restore: its header has been
// read and checked. Close it when done.
type BackupFile struct {
	Path   string
	Header BackupHeader
	f      *os.File
	body   int64 // offset of the body
}

// OpenBackup opens a backup file and checks its header: magic, size,
// JSON, hash, format and version. It does not read the body; see
// [BackupFile.VerifyBody].
func OpenBackup(path string) (*BackupFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open backup: %w", err)
	}
	b := &BackupFile{Path: path, f: f}
	if err := b.readHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrBadBackup, path, err)
	}
	return b, nil
}

// Close closes the file.
func (b *BackupFile) Close() error { return b.f.Close() }

func (b *BackupFile) readHeader() error {
	r := bufio.NewReaderSize(io.LimitReader(b.f, maxBackupHeader+200), 64<<10)
	magic, err := readLine(r, len(backupMagic)+1)
	if err != nil || magic != backupMagic {
		return fmt.Errorf("line 1 is not %q: not a kpnode backup, or of another version", backupMagic)
	}
	line, err := readLine(r, maxBackupHeader)
	if err != nil {
		return fmt.Errorf("header (line 2): %w", err)
	}
	sum, err := readLine(r, 2*sha256.Size+1)
	if err != nil {
		return fmt.Errorf("header hash (line 3): %w", err)
	}
	if got := sha256.Sum256([]byte(line)); hex.EncodeToString(got[:]) != sum {
		return errors.New("the header's hash (line 3) does not match the header (line 2): the header is damaged")
	}
	if err := json.Unmarshal([]byte(line), &b.Header); err != nil {
		return fmt.Errorf("header (line 2): %w", err)
	}
	b.body = int64(len(magic) + len(line) + len(sum) + 3)
	return b.Header.check()
}

// readLine reads one line of at most max bytes, without its newline.
func readLine(r *bufio.Reader, max int) (string, error) {
	var buf bytes.Buffer
	for {
		chunk, err := r.ReadSlice('\n')
		buf.Write(chunk)
		if buf.Len() > max+1 {
			return "", fmt.Errorf("longer than %d bytes", max)
		}
		if err == nil {
			return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("truncated: %w", err)
		}
	}
}

func (h BackupHeader) check() error {
	switch {
	case h.Format != backupFormat || h.Version != backupVersion:
		return fmt.Errorf("header: format %q version %d, want %q version %d", h.Format, h.Version, backupFormat, backupVersion)
	case h.BodySize <= 0 || len(h.BodySHA256) != 2*sha256.Size:
		return fmt.Errorf("header: body size %d or body hash %q invalid", h.BodySize, h.BodySHA256)
	case h.Participant == "" || h.Fingerprint == "" || h.Store.StoreID == "":
		return errors.New("header: participant, fingerprint or store id missing")
	}
	for name := range h.Files {
		if !isBackupFile(name) {
			return fmt.Errorf("header: file %q is not one a backup carries", name)
		}
	}
	return nil
}

func isBackupFile(name string) bool {
	return slices.Contains(backupFiles, name) || isRetiredKeyFile(name)
}

// retiredKeyPrefix is where a backup names the retired keys it carries
// (keys/retired/FINGERPRINT.key in the home, docs/operations.md "Keys").
const retiredKeyPrefix = "keys/retired/"

// isRetiredKeyFile reports whether name is keys/retired/FPR.key with FPR
// a key fingerprint (groups of letters and digits joined by dashes): a
// name a restore may write, and nothing that could leave the directory.
func isRetiredKeyFile(name string) bool {
	fpr, ok := strings.CutPrefix(name, retiredKeyPrefix)
	if !ok {
		return false
	}
	if fpr, ok = strings.CutSuffix(fpr, ".key"); !ok || fpr == "" || len(fpr) > 64 {
		return false
	}
	for _, c := range fpr {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// VerifyBody reads the whole body and checks its size and SHA-256 against
// the header.
func (b *BackupFile) VerifyBody() error {
	if _, err := b.f.Seek(b.body, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, b.f)
	if err != nil {
		return fmt.Errorf("read backup body: %w", err)
	}
	if n != b.Header.BodySize {
		return fmt.Errorf("%w: %s: the body is %d bytes, the header says %d (truncated or extended)", ErrBadBackup, b.Path, n, b.Header.BodySize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != b.Header.BodySHA256 {
		return fmt.Errorf("%w: %s: the body's SHA-256 is %s, the header says %s: the body is damaged", ErrBadBackup, b.Path, got, b.Header.BodySHA256)
	}
	return nil
}

// Body returns the store's backup stream, decrypted with passphrase when
// the backup is encrypted (a wrong passphrase is
// [crypto.ErrWrongPassphrase], found before anything is read).
func (b *BackupFile) Body(passphrase crypto.Secret) (io.Reader, error) {
	if _, err := b.f.Seek(b.body, io.SeekStart); err != nil {
		return nil, err
	}
	r := io.LimitReader(bufio.NewReaderSize(b.f, 1<<20), b.Header.BodySize)
	if !b.Header.Encrypted {
		return r, nil
	}
	out, err := crypto.DecryptStream(r, passphrase)
	if err != nil {
		return nil, fmt.Errorf("decrypt backup %s: %w", b.Path, err)
	}
	return out, nil
}
