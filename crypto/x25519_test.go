package crypto

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"filippo.io/age"
)

// TestBech32 checks the decoder on BIP 173 vectors and against age's own
// encodings: the scalar decoded from an identity must give the public key
// decoded from its recipient.
func TestBech32(t *testing.T) {
	for _, v := range []struct{ s, hrp string }{
		{"a12uel5l", "a"},
		{"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef"},
	} {
		if _, err := decodeBech32(nil, v.s, v.hrp); err != nil {
			t.Errorf("%s: %v", v.s, err)
		}
	}
	if b, err := decodeBech32(nil, "age1qqpexly5", "age"); err != nil || !bytes.Equal(b, []byte{0}) {
		t.Errorf("age1qqpexly5 = %x, %v; want 00", b, err)
	}
	for range 50 {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		scalar, err := decodeBech32(nil, strings.ToLower(id.String()), "age-secret-key-")
		if err != nil {
			t.Fatal(err)
		}
		priv, err := ecdh.X25519().NewPrivateKey(scalar)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := x25519PublicKey(id.Recipient())
		if err != nil || !pub.Equal(priv.PublicKey()) {
			t.Fatalf("recipient key %v, %v; want the identity's public key", pub, err)
		}
	}
}

func TestBech32Errors(t *testing.T) {
	good := mustIdentity(t).Recipient().String()
	for _, s := range []string{
		"",
		"age1",
		"age1qqqqqq"[:9],
		"xyz" + good[3:],
		good[:10] + "b" + good[11:], // 'b' is not in the charset
		good[:10] + flipChar(good[10]) + good[11:],
		good[:len(good)-1] + flipChar(good[len(good)-1]),
		strings.ToUpper(good),
		"age1psm9pam",  // a right checksum over a whole 5-bit padding group
		"age1qpu0j2ex", // a right checksum over non-zero padding bits
	} {
		if b, err := decodeBech32(nil, s, "age"); !errors.Is(err, errBech32) {
			t.Errorf("%q: %x, %v; want errBech32", s, b, err)
		}
	}
}

func flipChar(c byte) string {
	i := strings.IndexByte(bech32Charset, c)
	return string(bech32Charset[(i+1)%len(bech32Charset)])
}

// TestFastIdentityUnwrap checks the ecdh identity against age's on the
// stanzas of a real file, and that it is cached per identity.
func TestFastIdentityUnwrap(t *testing.T) {
	ids, rcpts := audience(t, 3)
	var fileKey [fileKeySize]byte
	copy(fileKey[:], "0123456789abcdef")
	var stanzas []*age.Stanza
	for _, r := range rcpts {
		s, err := r.Wrap(fileKey[:])
		if err != nil {
			t.Fatal(err)
		}
		stanzas = append(stanzas, s...)
	}
	for _, id := range ids {
		fast := fastIdentity(id.AgeIdentity())
		if _, ok := fast.(*x25519Identity); !ok || fastIdentity(id.AgeIdentity()) != fast {
			t.Fatalf("fastIdentity = %T, not cached", fast)
		}
		got, err := fast.Unwrap(stanzas)
		want, werr := id.AgeIdentity().Unwrap(stanzas)
		if err != nil || werr != nil || !bytes.Equal(got, want) || !bytes.Equal(got, fileKey[:]) {
			t.Fatalf("Unwrap = %x, %v; age: %x, %v", got, err, want, werr)
		}
	}
	if _, err := fastIdentity(mustIdentity(t).AgeIdentity()).Unwrap(stanzas); !errors.Is(err, age.ErrIncorrectIdentity) {
		t.Fatalf("stranger: %v", err)
	}
	if c := (&countingIdentity{}); fastIdentity(c) != age.Identity(c) {
		t.Fatal("fastIdentity replaced a non-X25519 identity")
	}
}

// TestFastIdentityCacheReleased checks that cached keys go when their
// identities are collected.
func TestFastIdentityCacheReleased(t *testing.T) {
	cached := cacheNewIdentities(t, 20)
	deadline := time.Now().Add(20 * time.Second)
	for left := cached; len(left) > 0; left = stillCached(left) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d keys still cached after their identities became unreachable", len(left), len(cached))
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// cacheNewIdentities opens nothing but caches the keys of n new
// identities, and returns only weak pointers to them.
func cacheNewIdentities(t *testing.T, n int) []weak.Pointer[age.X25519Identity] {
	var wps []weak.Pointer[age.X25519Identity]
	for range n {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		fastIdentity(id)
		wps = append(wps, weak.Make(id))
	}
	if left := stillCached(wps); len(left) != n {
		t.Fatalf("%d of %d keys cached", len(left), n)
	}
	return wps
}

func stillCached(wps []weak.Pointer[age.X25519Identity]) []weak.Pointer[age.X25519Identity] {
	var left []weak.Pointer[age.X25519Identity]
	for _, wp := range wps {
		if _, ok := x25519Identities.Load(wp); ok {
			left = append(left, wp)
		}
	}
	return left
}
