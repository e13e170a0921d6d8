package crypto

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
)

// Encodings used to craft signatures an honest signer never makes.
var (
	// order2 is the point (0, -1), of order 2, canonically encoded.
	order2 = mustHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	// identityNonCanonical is the identity (0, 1) encoded with y = p+1.
	identityNonCanonical = mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// craftSignature signs domain || 0x00 || msg with id's key, as RFC 8032
// does, except that R is rB + T for the small-order point T encoded as
// tEnc: s = r + k·a still holds, so the signature verifies under the
// cofactored equation (ZIP-215) but not under crypto/ed25519's
// cofactorless one.
func craftSignature(t *testing.T, id *Identity, domain string, msg, tEnc []byte) []byte {
	t.Helper()
	h := sha512.Sum512(id.sign.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	rb := sha512.Sum512(append([]byte("nonce"), msg...))
	r, err := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	if err != nil {
		t.Fatal(err)
	}
	T, err := new(edwards25519.Point).SetBytes(tEnc)
	if err != nil {
		t.Fatal(err)
	}
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), T)
	enc := R.Bytes()
	pub := id.Public()
	k := challenge(pub, domain, msg, append(enc, make([]byte, 32)...))
	s := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	return append(enc, s.Bytes()...)
}

// TestBatchAndSingleVerdictsAgree checks, on honest signatures and on
// crafted ones (small-order R component, non-canonical R encoding, s not
// reduced, wrong message), that Verify, a BatchVerifier holding the
// signature alone, a BatchVerifier mixing it among honest signatures of
// several keys, and ed25519consensus's own batch verifier all give one
// verdict. A split verdict would let an author get an entry stored by a
// batch check that fails its own check later.
func TestBatchAndSingleVerdictsAgree(t *testing.T) {
	id, other := mustIdentity(t), mustIdentity(t)
	msg := []byte("entry bytes")
	honest := id.Sign(DomainEntry, msg)
	unreduced := append([]byte{}, honest...)
	copy(unreduced[32:], mustHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")) // ℓ
	cases := []struct {
		name     string
		sig, msg []byte
		want     bool
		stdAlso  bool // crypto/ed25519 gives the same verdict
	}{
		{"honest", honest, msg, true, true},
		{"wrong message", honest, []byte("other"), false, true},
		{"s equal to the group order", unreduced, msg, false, true},
		{"small-order component in R", craftSignature(t, id, DomainEntry, msg, order2), msg, true, false},
		{"R is the identity encoded non-canonically", craftZeroR(t, id, msg), msg, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			std := ed25519.Verify(id.sign.Public().(ed25519.PublicKey), signedMessage(DomainEntry, c.msg), c.sig)
			if (std == c.want) != c.stdAlso {
				t.Fatalf("crypto/ed25519 says %v: the case does not test what it says", std)
			}
			verdicts := map[string]bool{
				"Verify":                  Verify(DomainEntry, id.Public(), c.msg, c.sig),
				"batch alone":             batchOf(id.Public(), c.msg, c.sig, nil),
				"batch among others":      batchOf(id.Public(), c.msg, c.sig, []*Identity{id, other}),
				"ed25519consensus batch":  consensusBatch(id.Public(), c.msg, c.sig),
				"ed25519consensus.Verify": ed25519consensus.Verify(id.Public().bytes(), signedMessage(DomainEntry, c.msg), c.sig),
			}
			for how, got := range verdicts {
				if got != c.want {
					t.Errorf("%s: %v, want %v", how, got, c.want)
				}
			}
		})
	}
}

// craftZeroR signs with r = 0 and R the identity encoded as y = p+1: the
// equation holds without the cofactor, but crypto/ed25519 re-encodes R
// and refuses the non-canonical bytes.
func craftZeroR(t *testing.T, id *Identity, msg []byte) []byte {
	t.Helper()
	h := sha512.Sum512(id.sign.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(append([]byte{}, identityNonCanonical...), make([]byte, 32)...)
	k := challenge(id.Public(), DomainEntry, msg, sig)
	s := new(edwards25519.Scalar).Multiply(k, a)
	return append(sig[:32], s.Bytes()...)
}

func (k PublicKey) bytes() ed25519.PublicKey { return k[:] }

// batchOf verifies sig in a batch, after honest signatures by each of
// signers when there are any.
func batchOf(pub PublicKey, msg, sig []byte, signers []*Identity) bool {
	v := NewBatchVerifier(DomainEntry, len(signers)*3+1)
	for i, s := range signers {
		for j := range 3 {
			m := fmt.Appendf(nil, "honest %d %d", i, j)
			v.Add(s.Public(), m, s.Sign(DomainEntry, m))
		}
	}
	v.Add(pub, msg, sig)
	return v.Verify()
}

func consensusBatch(pub PublicKey, msg, sig []byte) bool {
	v := ed25519consensus.NewBatchVerifier()
	v.Add(pub[:], signedMessage(DomainEntry, msg), sig)
	return v.Verify()
}

// TestBatchVerifierFindsOneBadSignature checks that one altered signature
// among many of several keys fails the batch, wherever it sits.
func TestBatchVerifierFindsOneBadSignature(t *testing.T) {
	ids := []*Identity{mustIdentity(t), mustIdentity(t), mustIdentity(t)}
	const n = 30
	for bad := range n {
		v := NewBatchVerifier(DomainEntry, n)
		for i := range n {
			id := ids[i%len(ids)]
			m := fmt.Appendf(nil, "entry %d", i)
			sig := id.Sign(DomainEntry, m)
			if i == bad {
				sig[i%SignatureSize] ^= 1
			}
			v.Add(id.Public(), m, sig)
		}
		if v.Verify() {
			t.Fatalf("batch with signature %d altered verifies", bad)
		}
	}
	v := NewBatchVerifier(DomainEntry, 0)
	if !v.Verify() {
		t.Error("empty batch does not verify")
	}
	v.Add(ids[0].Public(), []byte("x"), ids[0].Sign(DomainCard, []byte("x")))
	if v.Verify() {
		t.Error("a signature of another domain verifies")
	}
}

// TestWeakKeysRefused: with a key of small order (here the all-zero
// encoding, a point of order 4) and R of small order, s = 0, ZIP-215's
// cofactored equation holds on every message: anyone could sign for such
// a key. ed25519consensus accepts it; Verify and BatchVerifier refuse it,
// alone and among honest signatures.
func TestWeakKeysRefused(t *testing.T) {
	var weak PublicKey // y = 0: a point of order 4
	sig := make([]byte, SignatureSize)
	msg := []byte("any message at all")
	if !ed25519consensus.Verify(weak[:], signedMessage(DomainCard, msg), sig) {
		t.Fatal("ed25519consensus refuses the weak key: the case does not test what it says")
	}
	if Verify(DomainCard, weak, msg, sig) {
		t.Error("Verify accepts a signature by a key of small order")
	}
	id := mustIdentity(t)
	for _, others := range []int{0, 3} {
		v := NewBatchVerifier(DomainCard, others+1)
		for i := range others {
			m := fmt.Appendf(nil, "honest %d", i)
			v.Add(id.Public(), m, id.Sign(DomainCard, m))
		}
		v.Add(weak, msg, sig)
		if v.Verify() {
			t.Errorf("a batch with %d honest signatures accepts a signature by a key of small order", others)
		}
	}
}
