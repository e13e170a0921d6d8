package crypto

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestProtectedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.key")
	opts := KeyFileOptions{Passphrase: Secret("pass"), WorkFactor: 10}
	if err := WriteProtectedFile(path, []byte("secret"), KeyFileOptions{}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("write without a passphrase: %v", err)
	}
	if err := WriteProtectedFile(path, []byte("secret"), opts); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte("secret")) {
		t.Fatal("the secret is in the file in the clear")
	}
	if err := WriteProtectedFile(path, []byte("other"), opts); !errors.Is(err, os.ErrExist) {
		t.Fatalf("overwrite: %v", err)
	}
	if got, err := ReadProtectedFile(path, Secret("pass")); err != nil || string(got) != "secret" {
		t.Fatalf("read: %q, %v", got, err)
	}
	for pass, want := range map[string]error{"": ErrPassphraseRequired, "wrong": ErrWrongPassphrase} {
		if _, err := ReadProtectedFile(path, Secret(pass)); !errors.Is(err, want) {
			t.Errorf("read with %q: %v, want %v", pass, err, want)
		}
	}
	os.Chmod(path, 0o640)
	if _, err := ReadProtectedFile(path, Secret("pass")); !errors.Is(err, ErrKeyFilePermissions) {
		t.Errorf("read a 0640 file: %v", err)
	}
}

func TestPassphraseStream(t *testing.T) {
	var buf bytes.Buffer
	w, err := EncryptStream(&buf, Secret("pass"), 10)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("kimberley "), 20000)
	w.Write(msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := DecryptStream(bytes.NewReader(buf.Bytes()), Secret("pass"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("round trip: %d bytes, %v", len(got), err)
	}
	if _, err := DecryptStream(bytes.NewReader(buf.Bytes()), Secret("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	bad := bytes.Clone(buf.Bytes())
	bad[len(bad)-20] ^= 1
	r, _ = DecryptStream(bytes.NewReader(bad), Secret("pass"))
	if _, err := io.ReadAll(r); err == nil {
		t.Error("a flipped ciphertext byte decrypted without error")
	}
}
