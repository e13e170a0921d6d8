package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"filippo.io/age"
)

// interopSizes are the plaintext sizes the interoperability tests cover:
// empty, tiny, a record, both sides of the one-chunk limit and several
// chunks.
var interopSizes = []int{0, 1, 1 << 10, chunkSize - 1, chunkSize, chunkSize + 1, 200 << 10}

// audience returns n identities and their recipients.
func audience(t testing.TB, n int) ([]*Identity, []age.Recipient) {
	t.Helper()
	return benchAudience(t, n)
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// wantSealedSize is age's size for a file with n X25519 recipients.
func wantSealedSize(size, n int) int {
	chunks := max(1, (size+chunkSize-1)/chunkSize)
	return 86 + 98*n + tagSize*chunks + size
}

// TestSealInterop checks both directions against the age library: what
// Seal writes age decrypts, and what age writes Open decrypts, for every
// size and 1 to 20 recipients, read by the first and by the last.
func TestSealInterop(t *testing.T) {
	ids, rcpts := audience(t, 20)
	for _, size := range interopSizes {
		pt := randomBytes(t, size)
		for n := 1; n <= len(ids); n++ {
			if testing.Short() && n > 3 && n < 20 {
				continue
			}
			t.Run(fmt.Sprintf("size=%d/r=%d", size, n), func(t *testing.T) {
				checkInterop(t, pt, ids[:n], rcpts[:n])
			})
		}
	}
}

func checkInterop(t *testing.T, pt []byte, ids []*Identity, rcpts []age.Recipient) {
	n := len(ids)
	ours, err := Seal(pt, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != wantSealedSize(len(pt), n) {
		t.Errorf("Seal wrote %d bytes, age's format has %d", len(ours), wantSealedSize(len(pt), n))
	}
	theirs, err := sealStream(pt, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, n - 1} {
		id := ids[i].AgeIdentity()
		if got, err := ageDecrypt(ours, id); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("age.Decrypt(Seal) as reader %d: %d bytes, %v", i, len(got), err)
		}
		if got, err := Open(theirs, id, n); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open(age.Encrypt) as reader %d: %d bytes, %v", i, len(got), err)
		}
		if got, err := Open(ours, id, n); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open(Seal) as reader %d: %d bytes, %v", i, len(got), err)
		}
	}
}

// bothReject fails the test unless Open and age.Decrypt both refuse ct.
func bothReject(t *testing.T, what string, ct []byte, id *age.X25519Identity) {
	t.Helper()
	if pt, err := Open(ct, id, maxRecipientStanzas); err == nil {
		t.Errorf("%s: Open accepted it (%d bytes)", what, len(pt))
	}
	if pt, err := ageDecrypt(ct, id); err == nil {
		t.Errorf("%s: age accepted it (%d bytes)", what, len(pt))
	}
}

// TestTamperEveryByte flips each byte of a sealed record, header and
// payload, and expects Open and age to refuse every result. The reader's
// stanza is the second, so a damaged first stanza is tried and skipped.
func TestTamperEveryByte(t *testing.T) {
	ids, rcpts := audience(t, 2)
	id := ids[1].AgeIdentity()
	for _, seal := range []struct {
		name string
		f    func([]byte, []age.Recipient) ([]byte, error)
	}{{"Seal", Seal}, {"age", sealStream}} {
		ct, err := seal.f(randomBytes(t, 200), rcpts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ct {
			for _, mask := range []byte{0x01, 0x80} {
				bad := bytes.Clone(ct)
				bad[i] ^= mask
				bothReject(t, fmt.Sprintf("%s: byte %d ^ %#x", seal.name, i, mask), bad, id)
			}
		}
	}
}

// TestTamperMultiChunk flips bytes around the chunk boundaries of a
// three-chunk ciphertext (the age library path).
func TestTamperMultiChunk(t *testing.T) {
	ids, rcpts := audience(t, 1)
	id := ids[0].AgeIdentity()
	ct, err := Seal(randomBytes(t, 2*chunkSize+5), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	payload := len(ct) - (2*encChunkSize + 5 + tagSize)
	for _, off := range []int{0, 15, 16, encChunkSize - 1, encChunkSize, 2 * encChunkSize, 2*encChunkSize + 20} {
		bad := bytes.Clone(ct)
		bad[payload+off] ^= 1
		bothReject(t, fmt.Sprintf("payload byte %d", off), bad, id)
	}
}

// TestTruncation cuts a record at every length, and a multi-chunk
// ciphertext at its chunk boundaries.
func TestTruncation(t *testing.T) {
	ids, rcpts := audience(t, 2)
	id := ids[1].AgeIdentity()
	ct, err := Seal(randomBytes(t, 100), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(ct) {
		bothReject(t, fmt.Sprintf("first %d of %d bytes", n, len(ct)), ct[:n], id)
	}
	big, err := Seal(randomBytes(t, 2*chunkSize), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{encChunkSize, encChunkSize + 1, encChunkSize + tagSize, 1} {
		bothReject(t, fmt.Sprintf("2-chunk file less %d bytes", cut), big[:len(big)-cut], id)
	}
}

// TestTrailingData appends to a valid ciphertext.
func TestTrailingData(t *testing.T) {
	ids, rcpts := audience(t, 1)
	id := ids[0].AgeIdentity()
	for _, size := range []int{0, 100, chunkSize, chunkSize + 1} {
		ct, err := Seal(randomBytes(t, size), rcpts)
		if err != nil {
			t.Fatal(err)
		}
		for _, extra := range []int{1, tagSize, tagSize + 1} {
			bad := append(bytes.Clone(ct), make([]byte, extra)...)
			bothReject(t, fmt.Sprintf("size %d plus %d bytes", size, extra), bad, id)
		}
	}
}

// countingIdentity counts the Unwrap calls that reach it.
type countingIdentity struct {
	id    age.Identity
	calls int
}

func (c *countingIdentity) Unwrap(s []*age.Stanza) ([]byte, error) {
	c.calls++
	return c.id.Unwrap(s)
}

// TestStanzaCapBeforeX25519 checks that a header over the cap is refused
// before the identity sees any stanza, on both paths, and that age's own
// limit of 1024 stanzas holds whatever the cap.
func TestStanzaCapBeforeX25519(t *testing.T) {
	ids, rcpts := audience(t, 5)
	for _, size := range []int{10, chunkSize + 1} {
		ct, err := Seal(randomBytes(t, size), rcpts)
		if err != nil {
			t.Fatal(err)
		}
		c := &countingIdentity{id: ids[0].AgeIdentity()}
		_, err = Open(ct, c, 4)
		if !errors.Is(err, ErrTooManyStanzas) || c.calls != 0 {
			t.Errorf("size %d, 5 stanzas, cap 4: err = %v after %d unwraps; want ErrTooManyStanzas, none", size, err, c.calls)
		}
		if pt, err := Open(ct, c, 5); err != nil || len(pt) != size || c.calls != 1 {
			t.Errorf("size %d, cap 5: %d bytes, %v, %d unwraps", size, len(pt), err, c.calls)
		}
	}
	id := ids[0].AgeIdentity()
	many := craftFile(t, greaseStanzas(maxRecipientStanzas)+x25519Stanza(t, id), testFileKey, "x")
	c := &countingIdentity{id: id}
	if _, err := Open(many, c, 2*maxRecipientStanzas); err == nil || c.calls != 0 {
		t.Errorf("%d stanzas: err = %v after %d unwraps; want a header error before any", maxRecipientStanzas+1, err, c.calls)
	}
	bothReject(t, "1025 stanzas", many, id)
}

// TestOpenErrors checks that errors say what failed.
func TestOpenErrors(t *testing.T) {
	ids, rcpts := audience(t, 1)
	id := ids[0].AgeIdentity()
	ct, err := Seal([]byte("record"), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	macAt := bytes.Index(ct, []byte("\n--- ")) + 5
	for _, tc := range []struct {
		name string
		ct   []byte
		want string
	}{
		{"empty", nil, "parse age header: file is empty"},
		{"bad MAC", otherBase64(ct, macAt), "bad header MAC"},
		{"payload", flip(ct, len(ct)-1), "payload: failed to decrypt and authenticate"},
		{"no nonce", ct[:len(ct)-tagSize-len("record")-1], "payload: truncated nonce"},
		{"no chunk", ct[:len(ct)-tagSize-len("record")], "payload: truncated"},
	} {
		_, err := Open(tc.ct, id, 1)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := Open(ct, mustIdentity(t).AgeIdentity(), 1); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("stranger: err = %v, want ErrNotRecipient", err)
	}
}

// otherBase64 replaces the base64 character at i with another one (a
// flipped bit can leave the alphabet, which is a parse error instead).
func otherBase64(b []byte, i int) []byte {
	b = bytes.Clone(b)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 1
	return b
}

// TestSealFallbacks checks the recipients Seal leaves to age: none, nil,
// and other recipient types (here scrypt, which must be alone).
func TestSealFallbacks(t *testing.T) {
	if _, err := Seal([]byte("x"), nil); err == nil {
		t.Error("no recipients: sealed")
	}
	for _, r := range []age.Recipient{nil, (*age.X25519Recipient)(nil)} {
		if _, err := Seal([]byte("x"), []age.Recipient{r}); err == nil {
			t.Errorf("nil recipient %#v: sealed", r)
		}
	}
	sr, err := age.NewScryptRecipient("pass")
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(10)
	ct, err := Seal([]byte("x"), []age.Recipient{sr})
	if err != nil {
		t.Fatal(err)
	}
	si, _ := age.NewScryptIdentity("pass")
	if pt, err := Open(ct, si, 1); err != nil || string(pt) != "x" {
		t.Errorf("scrypt round trip: %q, %v", pt, err)
	}
	_, rcpts := audience(t, 1)
	if _, err := Seal([]byte("x"), []age.Recipient{rcpts[0], sr}); err == nil {
		t.Error("scrypt mixed with X25519: sealed (age refuses)")
	}
}

// TestSealedSizeBound: what Seal returns is never larger than
// SealedSizeBound, and at most one tag smaller (and the difference of the
// stanza sizes for static-static recipients), for X25519 and static-static
// recipients, one to 101 of them (the most an entry has: a
// full audience and the author), on both sides of age's chunk boundaries.
func TestSealedSizeBound(t *testing.T) {
	x := make([]age.Recipient, 101)
	for i := range x {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		x[i] = id.Recipient()
	}
	_, _, static := staticAudience(t, 100)
	sizes := []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize - 1, 3 * chunkSize, 1 << 20}
	for _, rcpts := range [][]age.Recipient{x[:1], x, static} {
		slack := tagSize
		if _, ok := rcpts[0].(*StaticRecipient); ok {
			slack += len(rcpts) * (x25519StanzaSize - ssStanzaSize)
		}
		for _, size := range sizes {
			ct, err := Seal(make([]byte, size), rcpts)
			if err != nil {
				t.Fatal(err)
			}
			bound := SealedSizeBound(size, len(rcpts))
			if len(ct) > bound || len(ct) < bound-slack {
				t.Errorf("%d recipients, %d bytes: sealed %d bytes, bound %d", len(rcpts), size, len(ct), bound)
			}
		}
	}
}
