package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func mustIdentity(t testing.TB) *Identity {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSignVerifyDomainSeparation(t *testing.T) {
	id := mustIdentity(t)
	msg := []byte("hello")
	sig := id.Sign(DomainEntry, msg)
	if !Verify(DomainEntry, id.Public(), msg, sig) {
		t.Fatal("valid signature rejected")
	}
	if Verify(DomainCard, id.Public(), msg, sig) {
		t.Fatal("signature accepted under another domain")
	}
	if Verify(DomainEntry, id.Public(), []byte("hellp"), sig) {
		t.Fatal("signature accepted for another message")
	}
	if Verify(DomainEntry, mustIdentity(t).Public(), msg, sig) {
		t.Fatal("signature accepted for another key")
	}
	if Verify(DomainEntry, id.Public(), msg, sig[:63]) {
		t.Fatal("short signature accepted")
	}
}

func TestPeerIDRoundTrip(t *testing.T) {
	id := mustIdentity(t)
	pid := id.PeerID()
	if !strings.HasPrefix(pid, "12D3KooW") {
		t.Fatalf("peer id %q: want an Ed25519 identity peer id", pid)
	}
	k, err := PublicKeyFromPeerID(pid)
	if err != nil || k != id.Public() {
		t.Fatalf("PublicKeyFromPeerID = %v, %v; want %v", k, err, id.Public())
	}
	if _, err := PublicKeyFromPeerID("QmNotAPeer"); !errors.Is(err, ErrBadPublicKey) {
		t.Fatalf("bad peer id: err = %v, want ErrBadPublicKey", err)
	}
	k2, err := ParsePublicKey(id.Public().String())
	if err != nil || k2 != id.Public() {
		t.Fatalf("ParsePublicKey round trip: %v %v", k2, err)
	}
}

func TestFingerprint(t *testing.T) {
	id := mustIdentity(t)
	fp := id.Fingerprint()
	if len(fp) != 24 || strings.Count(fp, "-") != 4 {
		t.Fatalf("fingerprint %q: want 5 groups of 4", fp)
	}
	if fp == mustIdentity(t).Fingerprint() {
		t.Fatal("two identities share a fingerprint")
	}
}

func TestSealOpen(t *testing.T) {
	a, b, c := mustIdentity(t), mustIdentity(t), mustIdentity(t)
	msg := []byte("certificate IN0001")
	ct, err := Seal(msg, []age.Recipient{a.Recipient(), b.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []*Identity{a, b} {
		pt, err := Open(ct, id.AgeIdentity(), 2)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("Open = %q, %v", pt, err)
		}
	}
	if _, err := Open(ct, c.AgeIdentity(), 2); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("non-recipient: err = %v, want ErrNotRecipient", err)
	}
	if _, err := Open(ct, a.AgeIdentity(), 1); !errors.Is(err, ErrTooManyStanzas) {
		t.Fatalf("cap 1 with 2 stanzas: err = %v, want ErrTooManyStanzas", err)
	}
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 1
	if _, err := Open(bad, a.AgeIdentity(), 2); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
	if _, err := Seal(msg, nil); err == nil {
		t.Fatal("Seal with no recipients succeeded")
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	id := mustIdentity(t)
	path := filepath.Join(dir, "identity.key")
	if err := WriteKeyFile(path, id, KeyFileOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	got, err := ReadKeyFile(path, nil)
	if err != nil || got.Public() != id.Public() || got.Recipient().String() != id.Recipient().String() {
		t.Fatalf("ReadKeyFile = %v, %v", got, err)
	}
	if err := WriteKeyFile(path, id, KeyFileOptions{}); !errors.Is(err, os.ErrExist) {
		t.Fatalf("overwrite: err = %v, want ErrExist", err)
	}
}

func TestKeyFilePassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identity.key")
	id := mustIdentity(t)
	opts := KeyFileOptions{Passphrase: Secret("correct horse"), WorkFactor: 10}
	if err := WriteKeyFile(path, id, opts); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(path)
	if bytes.Contains(body, []byte("AGE-SECRET-KEY")) || !IsPassphraseProtected(body) {
		t.Fatal("protected key file holds the key in clear")
	}
	if _, err := ReadKeyFile(path, nil); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("no passphrase: err = %v", err)
	}
	if _, err := ReadKeyFile(path, Secret("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	got, err := ReadKeyFile(path, opts.Passphrase)
	if err != nil || got.Public() != id.Public() {
		t.Fatalf("right passphrase: %v, %v", got, err)
	}
}

func TestKeyFileRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "identity.key")
	if err := WriteKeyFile(path, mustIdentity(t), KeyFileOptions{}); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(path)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(path, nil); !errors.Is(err, ErrKeyFilePermissions) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable: err = %v", err)
	}
	for _, n := range []int{0, 20, len(body) / 2, len(body) - 20} {
		p := filepath.Join(dir, fmt.Sprintf("trunc%d.key", n))
		if err := os.WriteFile(p, body[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadKeyFile(p, nil)
		if !errors.Is(err, ErrMalformedKeyFile) || !strings.Contains(err.Error(), p) {
			t.Errorf("truncated at %d: err = %v, want ErrMalformedKeyFile naming the file", n, err)
		}
	}
}

func TestPassphraseFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pass")
	os.WriteFile(p, []byte("s3cret\nignored\n"), 0o600)
	s, err := ReadSecretFile(p)
	if err != nil || string(s.Reveal()) != "s3cret" {
		t.Fatalf("ReadSecretFile = %q, %v", s.Reveal(), err)
	}
	os.WriteFile(p, []byte("\n"), 0o600)
	if _, err := ReadSecretFile(p); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}

func TestSecretsRedacted(t *testing.T) {
	id := mustIdentity(t)
	secret := Secret("tok-123456")
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("x", "id", id, "token", secret)
	printed := fmt.Sprintf("%v %+v %#v %s %q %x", id, id, id, secret, secret, secret) + logs.String()
	seed := fmt.Sprintf("%x", id.Ed25519().Seed())
	for _, leak := range []string{seed, id.AgeIdentity().String(), "tok-123456", fmt.Sprintf("%x", "tok-123456")} {
		if strings.Contains(printed, leak) {
			t.Fatalf("secret leaked in %q", printed)
		}
	}
	if !strings.Contains(logs.String(), id.Fingerprint()) {
		t.Fatalf("log lacks the fingerprint: %s", logs.String())
	}
}

// TestOpenEveryReader: each recipient opens, at any position; a stranger
// gets ErrNotRecipient and a cap below the stanza count ErrTooManyStanzas.
func TestOpenEveryReader(t *testing.T) {
	ids := []*Identity{mustIdentity(t), mustIdentity(t), mustIdentity(t)}
	rcpts := []age.Recipient{ids[0].Recipient(), ids[1].Recipient(), ids[2].Recipient()}
	ct, err := Seal([]byte("x"), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if pt, err := Open(ct, id.AgeIdentity(), 3); err != nil || string(pt) != "x" {
			t.Errorf("reader %d: %q, %v", i, pt, err)
		}
	}
	if _, err := Open(ct, mustIdentity(t).AgeIdentity(), 3); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("stranger: err = %v, want ErrNotRecipient", err)
	}
	if _, err := Open(ct, ids[0].AgeIdentity(), 2); !errors.Is(err, ErrTooManyStanzas) {
		t.Errorf("cap below the stanza count: err = %v", err)
	}
}
