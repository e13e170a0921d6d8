package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"strings"
	"testing"
)

// hkdfReference is HKDF-SHA-256 with a 32-byte output through the
// standard library, the reference of the stack implementation.
func hkdfReference(t testing.TB, secret, salt []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHKDFMatchesLibrary holds hkdfSHA256 to crypto/hkdf for every length
// of secret, salt and info around the block size and the stack buffers'
// limits (an HMAC key longer than a block is hashed first; a secret or
// info too long for the stack goes through the library), with the
// lengths kpnode derives with (16- and 32-byte secrets; 16-, 64- and
// 80-byte salts) among them.
func TestHKDFMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	lengths := []int{0, 1, 15, 16, 31, 32, 33, 55, 56, 63, 64, 65, 80, 127, 128, 129, 200}
	for _, ns := range lengths {
		for _, nsalt := range lengths {
			for _, ninfo := range []int{0, 1, 7, 17, 54, 62, 63, 64, 100} {
				secret, salt := bytesOf(ns), bytesOf(nsalt)
				info := string(bytesOf(ninfo))
				got := hkdfSHA256(secret, salt, info)
				if want := hkdfReference(t, secret, salt, info); !bytes.Equal(got[:], want) {
					t.Fatalf("secret %d, salt %d, info %d bytes: %x, crypto/hkdf gives %x", ns, nsalt, ninfo, got, want)
				}
			}
		}
	}
	// A nil salt is a block of zeros (RFC 5869 §2.2), as in age's header MAC.
	if secret := bytesOf(16); hkdfSHA256(secret, nil, "header") != [32]byte(hkdfReference(t, secret, nil, "header")) {
		t.Fatal("nil salt: differs from crypto/hkdf")
	}
	for _, info := range []string{"payload", "header", ssLabel, x25519Label, strings.Repeat("i", 63)} {
		secret, salt := bytesOf(32), bytesOf(80)
		if got, want := hkdfSHA256(secret, salt, info), hkdfReference(t, secret, salt, info); !bytes.Equal(got[:], want) {
			t.Fatalf("info %q: %x, crypto/hkdf gives %x", info, got, want)
		}
	}
}

// TestHMACMatchesLibrary holds hmacSHA256 to crypto/hmac for keys and
// messages of every length it takes.
func TestHMACMatchesLibrary(t *testing.T) {
	for nk := range 140 {
		for nm := range hmacStackMax + 1 {
			key, msg := bytes.Repeat([]byte{byte(nk)}, nk), bytes.Repeat([]byte{byte(nm) ^ 0xa5}, nm)
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			if got, want := hmacSHA256(key, msg), m.Sum(nil); !bytes.Equal(got[:], want) {
				t.Fatalf("key %d, message %d bytes: %x, crypto/hmac gives %x", nk, nm, got, want)
			}
		}
	}
}

// FuzzHKDF holds hkdfSHA256 to crypto/hkdf for any input.
func FuzzHKDF(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), []byte("salt"), "payload")
	f.Add(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 80), ssLabel)
	f.Add([]byte{}, []byte(nil), "")
	f.Fuzz(func(t *testing.T, secret, salt []byte, info string) {
		if got, want := hkdfSHA256(secret, salt, info), hkdfReference(t, secret, salt, info); !bytes.Equal(got[:], want) {
			t.Fatalf("secret %x, salt %x, info %q: %x, crypto/hkdf gives %x", secret, salt, info, got, want)
		}
	})
}

// BenchmarkHKDF derives the static-static wrapping key (32-byte secret,
// 80-byte salt) and the payload key (16-byte file key, 16-byte nonce), on
// the stack (impl=stack, as kpnode does) and through crypto/hkdf
// (impl=library). docs/performance.md has the figures.
func BenchmarkHKDF(b *testing.B) {
	shared, ssSalt := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 80)
	fileKey, nonce := bytes.Repeat([]byte{3}, 16), bytes.Repeat([]byte{4}, 16)
	var sink byte
	for _, tc := range []struct {
		name string
		run  func(secret, salt []byte, info string) byte
	}{
		{"impl=stack", func(secret, salt []byte, info string) byte { k := hkdfSHA256(secret, salt, info); return k[0] }},
		{"impl=library", func(secret, salt []byte, info string) byte { return hkdfReference(b, secret, salt, info)[0] }},
	} {
		b.Run("key=wrap/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink ^= tc.run(shared, ssSalt, ssLabel)
			}
		})
		b.Run("key=payload/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink ^= tc.run(fileKey, nonce, "payload")
			}
		})
	}
	_ = sink
}
