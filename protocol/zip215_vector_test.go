package protocol

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"

	"filippo.io/edwards25519"
	"github.com/kpnode/kpnode/crypto"
)

// order2Point is the canonical encoding of (0, -1), the point of order 2.
const order2Point = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"

// TestZIP215Vector checks testdata/zip215_small_order_r.hex: an entry of
// test identity 0 whose signature has R = [r]B + T, T of order 2, and
// S = r + k·a (docs/protocol.md §1.1). Under ZIP-215, the rule of every
// kpnode check, it verifies, alone and in a batch; Go's crypto/ed25519
// (cofactorless) refuses it, which is why a verifier of entries must not
// use that rule. With -update the vector is written again (r is fixed).
func TestZIP215Vector(t *testing.T) {
	const path = "testdata/zip215_small_order_r.hex"
	if *update {
		writeZIP215Vector(t, path)
	}
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(readFile(t, path))), ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeEntry(raw); err != nil {
		t.Errorf("DecodeEntry: %v", err)
	}
	if _, errs := DecodeBatch([][]byte{raw, raw}); errs[0] != nil || errs[1] != nil {
		t.Errorf("DecodeBatch: %v, %v", errs[0], errs[1])
	}
	n := len(raw) - SignatureSize
	msg := append([]byte(crypto.DomainEntry+"\x00"), raw[:n]...)
	if ed25519.Verify(raw[offAuthor:offAuthor+32], msg, raw[n:]) {
		t.Error("crypto/ed25519 accepts the vector: it does not show what it should")
	}
}

func writeZIP215Vector(t *testing.T, path string) {
	seed := testSeed(0)
	h := sha512.Sum512(seed)
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	rb := sha512.Sum512([]byte("kpnode zip215 vector nonce"))
	r, err := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	if err != nil {
		t.Fatal(err)
	}
	tb, err := hex.DecodeString(order2Point)
	if err != nil {
		t.Fatal(err)
	}
	T, err := new(edwards25519.Point).SetBytes(tb)
	if err != nil {
		t.Fatal(err)
	}
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), T).Bytes()
	pub := testIdentity(t, 0).Public()
	sign := func(msg []byte) []byte {
		d := sha512.New()
		d.Write(R)
		d.Write(pub[:])
		d.Write([]byte(crypto.DomainEntry + "\x00"))
		d.Write(msg)
		k, err := new(edwards25519.Scalar).SetUniformBytes(d.Sum(nil))
		if err != nil {
			t.Fatal(err)
		}
		return append(append([]byte{}, R...), new(edwards25519.Scalar).MultiplyAdd(k, a, r).Bytes()...)
	}
	d := testDraft()
	raw, err := encodeEntry(pub, d, sign)
	if err != nil {
		t.Fatal(err)
	}
	writeHex(t, path, raw)
}
