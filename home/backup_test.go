package home

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

const testWorkFactor = 10 // scrypt: fast enough for tests

type backupHome struct {
	Home
	id   *crypto.Identity
	pass crypto.Secret
}

// newBackupHome makes a home whose own feed holds n entries and whose
// audit log holds one record; encrypted homes are passphrase-protected
// and encrypt their store.
func newBackupHome(t *testing.T, encrypt bool, n int) backupHome {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	b := backupHome{Home: Home{Dir: dir}}
	opts := InitOptions{WorkFactor: testWorkFactor}
	if encrypt {
		b.pass = crypto.Secret("correct horse")
		opts.Passphrase, opts.EncryptStore = b.pass, true
	}
	id, err := InitHome(dir, node.DefaultConfig("IN", "India"), opts)
	if err != nil {
		t.Fatal(err)
	}
	b.id = id
	if b.Home, err = b.Home.Unlock(b.pass); err != nil {
		t.Fatal(err)
	}
	st, err := b.OpenStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendOwn(t, st, id, n)
	if _, err := st.AppendAudit(store.AuditEvent{Action: "partner.add"}); err != nil {
		t.Fatal(err)
	}
	return b
}

func appendOwn(t *testing.T, st *store.Store, id *crypto.Identity, n int) {
	t.Helper()
	var prev protocol.Hash
	for seq := uint64(1); seq <= uint64(n); seq++ {
		e, err := protocol.NewEntry(id, protocol.Draft{Seq: seq, Prev: prev, Time: time.Unix(1.7e9+int64(seq), 0),
			Type: "notice", Audience: []string{"BE"}, Ciphertext: []byte("ciphertext")})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Append(e, nil); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash()
	}
}

// backup writes a backup of b (stopped) to a new file and returns its path.
func (b backupHome) backup(t *testing.T, withKeys bool) string {
	t.Helper()
	st, err := b.OpenStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := BackupOptions{Participant: "IN", Name: "India", Fingerprint: b.id.Fingerprint(),
		Passphrase: b.pass, Encrypt: b.Encrypted(), WorkFactor: testWorkFactor}
	if withKeys {
		if opts.Files, err = b.HomeFiles(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "in.kpbackup")
	hdr, err := CreateBackup(path, opts, func(w io.Writer) (store.BackupInfo, error) { return st.Backup(context.Background(), w) })
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", fi, err)
	}
	if hdr.Encrypted != b.Encrypted() || hdr.Store.Entries != 5 {
		t.Fatalf("header %+v", hdr)
	}
	if _, err := CreateBackup(path, opts, nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("backup over an existing file: %v, want os.ErrExist", err)
	}
	return path
}

func restoreOpts(pass crypto.Secret) RestoreOptions {
	return RestoreOptions{Passphrase: pass, WorkFactor: testWorkFactor}
}

func TestBackupRestoreHome(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "encrypted"}[encrypt], func(t *testing.T) {
			src := newBackupHome(t, encrypt, 5)
			path := src.backup(t, true)
			if encrypt {
				raw, _ := os.ReadFile(path)
				if bytes.Contains(raw, []byte("ciphertext")) {
					t.Fatal("an encrypted store's backup holds stored bytes in the clear")
				}
			}
			dir := filepath.Join(t.TempDir(), "restored")
			rep, err := Restore(context.Background(), path, dir, restoreOpts(src.pass))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verify.Entries != 5 || rep.Verify.AuditRecords != 1 || !rep.NewHome {
				t.Fatalf("report %+v", rep)
			}
			h, err := Home{Dir: dir}.Unlock(src.pass)
			if err != nil {
				t.Fatal(err)
			}
			if h.Encrypted() != encrypt {
				t.Fatalf("restored home encrypted = %v, want %v", h.Encrypted(), encrypt)
			}
			checkRestored(t, h, src)
		})
	}
}

// checkRestored opens the restored store through its home and checks the
// store id, the recovery mark, the audit record and the feed.
func checkRestored(t *testing.T, h Home, src backupHome) {
	t.Helper()
	want, _ := os.ReadFile(src.StoreIDPath())
	got, _ := os.ReadFile(h.StoreIDPath())
	if len(want) == 0 || !bytes.Equal(want, got) {
		t.Fatalf("store.id %q, want %q", got, want)
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if reason, ok, err := st.Recovering(); !ok || err != nil || !strings.Contains(reason, "restored from backup") {
		t.Fatalf("recovering: %q %v %v", reason, ok, err)
	}
	recs, err := st.AuditLog(1)
	if err != nil || len(recs) != 1 || recs[0].Action != AuditRestore {
		t.Fatalf("last audit record: %+v, %v; want %s", recs, err, AuditRestore)
	}
	if head, err := st.Head(src.id.Public()); err != nil || head.Seq != 5 {
		t.Fatalf("own head %+v, %v", head, err)
	}
}

func TestRestoreRefusesDamagedBackups(t *testing.T) {
	src := newBackupHome(t, true, 5)
	path := src.backup(t, true)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Index(good, []byte("}\n")) + 2 + 65 // after the header line and its hash line
	cases := map[string]struct {
		data []byte
		pass crypto.Secret
		want error
	}{
		"body byte flipped":   {flip(good, len(good)-10), src.pass, ErrBadBackup},
		"header byte flipped": {flip(good, 40), src.pass, ErrBadBackup},
		"hash byte flipped":   {flip(good, body-5), src.pass, ErrBadBackup},
		"truncated":           {good[:len(good)-100], src.pass, ErrBadBackup},
		"extended":            {append(bytes.Clone(good), 0), src.pass, ErrBadBackup},
		"wrong magic":         {append([]byte("kpnode-backup 2"), good[15:]...), src.pass, ErrBadBackup},
		"not a backup":        {[]byte("hello\n"), src.pass, ErrBadBackup},
		"wrong passphrase":    {good, crypto.Secret("wrong"), crypto.ErrWrongPassphrase},
		"no passphrase":       {good, nil, crypto.ErrPassphraseRequired},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.kpbackup")
			if err := os.WriteFile(bad, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(context.Background(), bad, dir, restoreOpts(tc.pass))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the refused restore wrote %s (%v)", dir, err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

func TestRestoreRefusesTargets(t *testing.T) {
	src := newBackupHome(t, false, 5)
	noKeys := src.backup(t, false)
	t.Run("a home that has a store", func(t *testing.T) {
		_, err := Restore(context.Background(), noKeys, src.Dir, restoreOpts(nil))
		if !errors.Is(err, ErrRestoreTarget) || !strings.Contains(err.Error(), "never overwrites a store") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("an empty home and no keys in the backup", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Restore(context.Background(), noKeys, dir, restoreOpts(nil))
		if !errors.Is(err, ErrRestoreTarget) || !strings.Contains(err.Error(), "--with-keys") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("keys put back by hand", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range backupFiles {
			b, _ := os.ReadFile(filepath.Join(src.Dir, name))
			os.WriteFile(filepath.Join(dir, name), b, 0o600)
		}
		if _, err := Restore(context.Background(), noKeys, dir, restoreOpts(nil)); err != nil {
			t.Fatal(err)
		}
		checkRestored(t, Home{Dir: dir}, src)
	})
	t.Run("another node's keys", func(t *testing.T) {
		other := newBackupHome(t, false, 1)
		os.RemoveAll(other.StoreDir())
		os.Remove(other.StoreIDPath())
		_, err := Restore(context.Background(), noKeys, other.Dir, restoreOpts(nil))
		if !errors.Is(err, ErrRestoreTarget) || !strings.Contains(err.Error(), "the backup is of node") {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(other.StoreDir()); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("the refused restore created a store")
		}
	})
}

// TestRestoreRemovesAStoreThatDoesNotVerify: a backup whose hashes are
// right but whose store holds an altered entry (taken from a damaged
// store) is loaded, fails verification, and leaves nothing behind.
func TestRestoreRemovesAStoreThatDoesNotVerify(t *testing.T) {
	src := newBackupHome(t, false, 5)
	if err := store.TamperEntry(src.StoreDir(), src.id.Public(), 3, 40); err != nil {
		t.Fatal(err)
	}
	path := src.backup(t, true)
	dir := filepath.Join(t.TempDir(), "restored")
	_, err := Restore(context.Background(), path, dir, restoreOpts(nil))
	if !errors.Is(err, ErrRestoreVerify) {
		t.Fatalf("got %v, want ErrRestoreVerify", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the failed restore left %s behind (%v)", dir, err)
	}
}

func TestEncryptedHomeRefusals(t *testing.T) {
	src := newBackupHome(t, true, 1)
	locked := Home{Dir: src.Dir}
	if _, err := locked.OpenStore(nil); !errors.Is(err, ErrStoreKeyNeeded) {
		t.Errorf("open without unlocking: %v, want ErrStoreKeyNeeded", err)
	}
	if _, err := locked.Unlock(crypto.Secret("wrong")); !errors.Is(err, crypto.ErrWrongPassphrase) {
		t.Errorf("unlock with a wrong passphrase: %v", err)
	}
	if _, err := InitHome(filepath.Join(t.TempDir(), "x"), node.DefaultConfig("IN", "India"), InitOptions{EncryptStore: true}); !errors.Is(err, ErrEncryptNeedsPassphrase) {
		t.Errorf("init --encrypt-store without a passphrase: %v", err)
	}
	// Another encrypted home's store.key in place of this one's.
	other := newBackupHome(t, true, 1)
	b, _ := os.ReadFile(other.StoreKeyPath())
	os.Remove(src.StoreKeyPath())
	os.WriteFile(src.StoreKeyPath(), b, 0o600)
	h, err := locked.Unlock(src.pass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.OpenStore(nil); !errors.Is(err, ErrStoreKeyMismatch) || !strings.Contains(err.Error(), "store.key that belongs") {
		t.Errorf("open with another store's key: %v, want ErrStoreKeyMismatch", err)
	}
	os.Chmod(src.StoreKeyPath(), 0o644)
	if _, err := locked.Unlock(src.pass); !errors.Is(err, crypto.ErrKeyFilePermissions) {
		t.Errorf("unlock with store.key 0644: %v, want ErrKeyFilePermissions", err)
	}
	os.Remove(src.StoreKeyPath())
	if _, err := locked.OpenStore(nil); !errors.Is(err, ErrStoreKeyMismatch) {
		t.Errorf("open an encrypted store whose store.key is gone: %v, want ErrStoreKeyMismatch", err)
	}
}

// TestBackupCarriesRetiredKeys: a backup with keys carries keys/retired/,
// which still opens what partners sealed to the old keys, and restore puts
// it back, 0600.
func TestBackupCarriesRetiredKeys(t *testing.T) {
	src := newBackupHome(t, false, 5)
	old, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(src.RetiredKeyDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(src.RetiredKeyDir(), old.Fingerprint()+".key")
	if err := crypto.WriteKeyFile(name, old, crypto.KeyFileOptions{}); err != nil {
		t.Fatal(err)
	}
	path := src.backup(t, true)
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(context.Background(), path, dir, restoreOpts(src.pass)); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(Home{Dir: dir}.RetiredKeyDir(), old.Fingerprint()+".key")
	want, _ := os.ReadFile(name)
	got, err := os.ReadFile(restored)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("restored retired key: %v (%d bytes, want %d)", err, len(got), len(want))
	}
	if fi, err := os.Stat(restored); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored retired key mode: %v, %v", fi.Mode(), err)
	}
}

func TestRetiredKeyFileNames(t *testing.T) {
	for name, want := range map[string]bool{
		"keys/retired/ABCD-EF12-3456-7890-ABCD.key": true,
		"keys/retired/../../identity.key":           false,
		"keys/retired/a/b.key":                      false,
		"keys/retired/.key":                         false,
		"keys/retired/ABCD.txt":                     false,
		"/keys/retired/ABCD.key":                    false,
		"identity.key":                              false,
	} {
		if got := isRetiredKeyFile(name); got != want {
			t.Errorf("isRetiredKeyFile(%q) = %v, want %v", name, got, want)
		}
	}
}
