package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
)

// Fixed age identities for deterministic test identities 0, 1 and 2.
var testAgeSecrets = []string{
	"AGE-SECRET-KEY-13N3NQUV9X23324AJYKXUXG8C5YTJM0V9AM56X7H7APGD7W79J9MQQC5RFH",
	"AGE-SECRET-KEY-1WXUGZH5TK305CRV9KU6G4D2MFPP5PUTR935PMKWXRAGA2NVUKCZSX77PPL",
	"AGE-SECRET-KEY-1LDRMMPFJP7TVP8XRUAHK8E8HHJW3GF7YUQRANPERK9YCFZTA6JWSAEVPHP",
}

// testSeed returns the Ed25519 seed of test identity n: 32 bytes of n+1.
func testSeed(n int) []byte { return bytes.Repeat([]byte{byte(n + 1)}, ed25519.SeedSize) }

// testIdentity returns deterministic identity n (0..2).
func testIdentity(t testing.TB, n int) *crypto.Identity {
	t.Helper()
	id, err := crypto.IdentityFromKeys(testSeed(n), testAgeSecrets[n])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// testTime is the time of test entries.
var testTime = time.Date(2026, 11, 20, 9, 30, 0, 123456789, time.UTC)

// testDraft returns a valid first-entry draft with a fake ciphertext.
func testDraft() Draft {
	return Draft{
		Seq:        1,
		Time:       testTime,
		Type:       "notice",
		Audience:   []string{"BE", "AE"},
		Commitment: Hash{0xc0, 0xff, 0xee},
		Ciphertext: []byte("age-encryption.org/v1\nnot really a ciphertext"),
	}
}

// mustEntry returns NewEntry(id, d) or fails the test.
func mustEntry(t testing.TB, id *crypto.Identity, d Draft) *Entry {
	t.Helper()
	e, err := NewEntry(id, d)
	if err != nil {
		t.Fatalf("NewEntry: %v", err)
	}
	return e
}

// rawEntry is an entry encoded field by field without validation, for
// building malformed but correctly signed inputs.
type rawEntry struct {
	version    byte
	seq        uint64
	prev       Hash
	nanos      int64
	typ        string
	audience   []string
	commitment Hash
	ciphertext []byte
	ctLen      int    // ciphertext length field; -1 for len(ciphertext)
	trailing   []byte // between ciphertext and signature
	patch      func(unsigned []byte)
}

func validRawEntry() rawEntry {
	return rawEntry{version: 1, seq: 1, nanos: testTime.UnixNano(), typ: "notice",
		audience: []string{"AE", "BE"}, ciphertext: []byte{0x42}, ctLen: -1}
}

// sign encodes r as if by identity n, signing independently of package
// crypto with stdlib Ed25519 over "kpnode/entry/v1" || 0x00 || bytes.
func (r rawEntry) sign(n int) []byte {
	priv := ed25519.NewKeyFromSeed(testSeed(n))
	b := []byte{r.version}
	b = append(b, priv.Public().(ed25519.PublicKey)...)
	b = binary.BigEndian.AppendUint64(b, r.seq)
	b = append(b, r.prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.nanos))
	b = append(b, byte(len(r.typ)))
	b = append(b, r.typ...)
	b = append(b, byte(len(r.audience)))
	for _, c := range r.audience {
		b = append(b, c...)
	}
	b = append(b, r.commitment[:]...)
	ctLen := r.ctLen
	if ctLen < 0 {
		ctLen = len(r.ciphertext)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(ctLen))
	b = append(b, r.ciphertext...)
	b = append(b, r.trailing...)
	if r.patch != nil {
		r.patch(b)
	}
	msg := append([]byte(crypto.DomainEntry+"\x00"), b...)
	return append(b, ed25519.Sign(priv, msg)...)
}

// recipients returns the age recipients of test identities ns.
func recipients(t testing.TB, ns ...int) []age.Recipient {
	var rs []age.Recipient
	for _, n := range ns {
		rs = append(rs, testIdentity(t, n).Recipient())
	}
	return rs
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
