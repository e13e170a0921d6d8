package crypto

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

// staticAudience returns an author, readers and the static recipients the
// author seals to: each reader in order, then the author itself.
func staticAudience(t testing.TB, readers int) (*Identity, []*Identity, []age.Recipient) {
	t.Helper()
	author := mustIdentity(t)
	ids := make([]*Identity, readers)
	rcpts := make([]age.Recipient, 0, readers+1)
	for i := range ids {
		ids[i] = mustIdentity(t)
		rcpts = append(rcpts, mustStaticRecipient(t, author, ids[i]))
	}
	return author, ids, append(rcpts, mustStaticRecipient(t, author, author))
}

func mustStaticRecipient(t testing.TB, author, to *Identity) *StaticRecipient {
	t.Helper()
	r, err := NewStaticRecipient(author.AgeIdentity(), to.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustStaticIdentity(t testing.TB, reader, author *Identity) *StaticIdentity {
	t.Helper()
	id, err := NewStaticIdentity(reader.AgeIdentity(), author.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestStaticRoundTrip: every reader, and the author, opens a record sealed
// with static-static stanzas, whatever its position, on the one-chunk path
// and through age's streaming reader; the result is a valid age file that
// the age library parses too.
func TestStaticRoundTrip(t *testing.T) {
	author, readers, rcpts := staticAudience(t, 3)
	for _, size := range []int{0, 1000, chunkSize + 1} {
		pt := randomBytes(t, size)
		ct, err := Seal(pt, rcpts)
		if err != nil {
			t.Fatal(err)
		}
		if size <= chunkSize && len(ct) > SealedSizeBound(size, len(rcpts)) {
			t.Errorf("size %d: sealed %d bytes, over the bound %d", size, len(ct), SealedSizeBound(size, len(rcpts)))
		}
		who := append(append([]*Identity{}, readers...), author)
		for i, r := range who {
			id := mustStaticIdentity(t, r, author)
			got, err := Open(ct, id, len(rcpts))
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("size %d, reader %d: %d bytes, %v", size, i, len(got), err)
			}
			// age's own Decrypt with our identity: same plaintext.
			got, err = ageDecrypt(ct, id)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("size %d, reader %d, age.Decrypt: %d bytes, %v", size, i, len(got), err)
			}
		}
	}
}

// TestStaticRefusals: a stranger, a reader that assumes another author,
// and the plain age identity of a real reader all fail to open as not a
// recipient; the age library fails cleanly, without a match, on a file of
// static-static stanzas only.
func TestStaticRefusals(t *testing.T) {
	author, readers, rcpts := staticAudience(t, 2)
	ct, err := Seal([]byte("record"), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	stranger := mustIdentity(t)
	for name, id := range map[string]age.Identity{
		"stranger":        mustStaticIdentity(t, stranger, author),
		"wrong author":    mustStaticIdentity(t, readers[0], readers[1]),
		"plain age key":   readers[0].AgeIdentity(),
		"author as other": mustStaticIdentity(t, author, readers[0]),
	} {
		if _, err := Open(ct, id, len(rcpts)); !errors.Is(err, ErrNotRecipient) {
			t.Errorf("%s: err = %v, want ErrNotRecipient", name, err)
		}
	}
	_, err = ageDecrypt(ct, readers[0].AgeIdentity())
	var noMatch *age.NoIdentityMatchError
	if !errors.As(err, &noMatch) {
		t.Errorf("age.Decrypt of a static-only file with a reader's X25519 identity: %v, want no identity matched", err)
	}
	if _, err := Open(ct, mustStaticIdentity(t, readers[0], author), len(rcpts)-1); !errors.Is(err, ErrTooManyStanzas) {
		t.Errorf("over the stanza cap: err = %v, want ErrTooManyStanzas", err)
	}
}

// TestStaticOpensStandard: a reader's static identity still opens the
// standard X25519 stanzas of entries sealed before, or by age, with
// exactly age's verdict.
func TestStaticOpensStandard(t *testing.T) {
	author := mustIdentity(t)
	ids, rcpts := audience(t, 3)
	for _, seal := range []func([]byte, []age.Recipient) ([]byte, error){Seal, sealStream} {
		ct, err := seal([]byte("old record"), rcpts)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range ids {
			got, err := Open(ct, mustStaticIdentity(t, r, author), len(rcpts))
			want, aerr := ageDecrypt(ct, r.AgeIdentity())
			if err != nil || aerr != nil || !bytes.Equal(got, want) {
				t.Fatalf("reader %d: %q, %v; age %q, %v", i, got, err, want, aerr)
			}
		}
	}
}

// TestStaticTamper: any byte changed in a static-sealed file is refused.
func TestStaticTamper(t *testing.T) {
	author, readers, rcpts := staticAudience(t, 1)
	ct, err := Seal([]byte("a record of some length"), rcpts)
	if err != nil {
		t.Fatal(err)
	}
	id := mustStaticIdentity(t, readers[0], author)
	for i := range ct {
		if _, err := Open(flip(ct, i), id, len(rcpts)); err == nil {
			t.Fatalf("byte %d flipped: opened", i)
		}
	}
}

// ssStanza returns a static-static stanza from author to reader wrapping
// testFileKey, as text.
func ssStanza(t testing.TB, author, reader *Identity) string {
	t.Helper()
	s, err := mustStaticRecipient(t, author, reader).Wrap(testFileKey)
	if err != nil {
		t.Fatal(err)
	}
	return stanzaText(s[0])
}

// TestStaticMalformed: a malformed static-static stanza is an error that
// names it, whether or not it comes before the reader's own stanza, and
// the age library given the same identity agrees.
func TestStaticMalformed(t *testing.T) {
	author, reader := mustIdentity(t), mustIdentity(t)
	id := mustStaticIdentity(t, reader, author)
	good := ssStanza(t, author, reader)
	salt := b64.EncodeToString(bytes.Repeat([]byte{1}, ssSaltSize))
	body32 := b64.EncodeToString(bytes.Repeat([]byte{2}, fileKeySize+tagSize))
	for _, tc := range []struct{ name, stanza, want string }{
		{"no salt", "-> kpnode-ss25519\n" + body32 + "\n", "0 arguments"},
		{"two args", "-> kpnode-ss25519 " + salt + " x\n" + body32 + "\n", "2 arguments"},
		{"short salt", "-> kpnode-ss25519 " + salt[:20] + "\n" + body32 + "\n", "salt is not 16 bytes"},
		{"non-canonical salt", "-> kpnode-ss25519 " + salt[:21] + "B\n" + body32 + "\n", "salt"},
		{"short body", "-> kpnode-ss25519 " + salt + "\n" + body32[:22] + "\n", "body of 16 bytes"},
	} {
		for _, order := range []string{tc.stanza + good, good + tc.stanza} {
			ct := craftFile(t, order, testFileKey, "x")
			_, err := Open(ct, id, 4)
			first := strings.HasPrefix(order, tc.stanza)
			if first && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("%s first: err = %v, want it to mention %q", tc.name, err, tc.want)
			}
			if !first && err != nil {
				t.Errorf("%s after the reader's stanza: %v, want opened", tc.name, err)
			}
			if _, aerr := ageDecrypt(ct, id); (aerr == nil) != (err == nil) {
				t.Errorf("%s: Open %v, age.Decrypt %v", tc.name, err, aerr)
			}
		}
	}
}

// TestStaticNilKeys: zero values and nil keys are refused, not panics.
func TestStaticNilKeys(t *testing.T) {
	id := mustIdentity(t)
	if _, err := NewStaticRecipient(nil, id.Recipient()); err == nil {
		t.Error("nil author: built")
	}
	if _, err := NewStaticIdentity(id.AgeIdentity(), nil); err == nil {
		t.Error("nil author recipient: built")
	}
	if _, err := Seal([]byte("x"), []age.Recipient{&StaticRecipient{}}); err == nil {
		t.Error("zero StaticRecipient: sealed")
	}
	if _, err := Seal([]byte("x"), []age.Recipient{(*StaticRecipient)(nil)}); err == nil {
		t.Error("nil StaticRecipient: sealed")
	}
	if _, err := (&StaticIdentity{}).Unwrap(nil); err == nil {
		t.Error("zero StaticIdentity: unwrapped")
	}
}

// TestStaticSharedSecretCached: building the keys of a known pair again
// does no scalar multiplication (the cache holds the pair), and the cache
// stays bounded.
func TestStaticSharedSecretCached(t *testing.T) {
	a, b := mustIdentity(t), mustIdentity(t)
	mustStaticRecipient(t, a, b)
	ours, err := fastX25519(a.AgeIdentity())
	if err != nil {
		t.Fatal(err)
	}
	their, _ := x25519PublicKey(b.Recipient())
	var key [2 * x25519KeySize]byte
	copy(key[copy(key[:], ours.pub[:]):], their.Bytes())
	ssCache.mu.Lock()
	_, cached := ssCache.pairs[key]
	ssCache.mu.Unlock()
	if !cached {
		t.Fatal("pair not cached after NewStaticRecipient")
	}
	for range ssCacheMax + 10 {
		if _, err := sharedSecret(ours, mustX25519Public(t)); err != nil {
			t.Fatal(err)
		}
	}
	ssCache.mu.Lock()
	n := len(ssCache.pairs)
	ssCache.mu.Unlock()
	if n > ssCacheMax {
		t.Errorf("cache holds %d pairs, bound %d", n, ssCacheMax)
	}
}

func mustX25519Public(t testing.TB) *ecdh.PublicKey {
	t.Helper()
	k, err := x25519PublicKey(mustIdentity(t).Recipient())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzOpenStatic mutates static-sealed files: Open with a static identity
// must agree with age.Decrypt given the same identity (age's parser, our
// stanza), on the verdict and the plaintext.
func FuzzOpenStatic(f *testing.F) {
	author, reader := mustIdentity(f), mustIdentity(f)
	rcpts := []age.Recipient{mustStaticRecipient(f, author, reader), mustStaticRecipient(f, author, author)}
	pt := []byte("static record")
	ct, err := Seal(pt, rcpts)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Add(craftFile(f, greaseStanzas(1)+ssStanza(f, author, reader), testFileKey, "crafted"))
	f.Add(craftFile(f, "-> kpnode-ss25519 a\n\n"+ssStanza(f, author, reader), testFileKey, "crafted"))
	id := mustStaticIdentity(f, reader, author)
	f.Fuzz(func(t *testing.T, in []byte) {
		ours, oerr := Open(in, id, 2*maxRecipientStanzas)
		theirs, aerr := ageDecrypt(in, id)
		if (oerr == nil) != (aerr == nil) {
			t.Fatalf("verdicts differ on %q:\nOpen: %v\nage:  %v", in, oerr, aerr)
		}
		if oerr == nil && !bytes.Equal(ours, theirs) {
			t.Fatalf("plaintexts differ on %q", in)
		}
	})
}

// FuzzOpenStaticHeader fuzzes headers holding static-static stanzas, with
// a right MAC: Open and age (both with the static identity) must agree.
func FuzzOpenStaticHeader(f *testing.F) {
	author, reader := mustIdentity(f), mustIdentity(f)
	s := ssStanza(f, author, reader)
	for _, stanzas := range []string{s, greaseStanzas(1) + s, s + "-> kpnode-ss25519 a\n\n", x25519Stanza(f, testAgeIdentity(f)) + s} {
		f.Add([]byte(ageIntro + "\n" + stanzas + "---"))
	}
	payload := craftPayload(f, testFileKey, chunk{[]byte("fuzz"), true})
	id := mustStaticIdentity(f, reader, author)
	f.Fuzz(func(t *testing.T, signed []byte) {
		ct := craftRaw(t, string(signed), canonicalFooter, payload)
		_, oerr := Open(ct, id, 2*maxRecipientStanzas)
		_, aerr := ageDecrypt(ct, id)
		if (oerr == nil) != (aerr == nil) {
			t.Fatalf("verdicts differ on %q:\nOpen: %v\nage:  %v", ct, oerr, aerr)
		}
	})
}

// TestStaticStanzaText pins the stanza's wire form.
func TestStaticStanzaText(t *testing.T) {
	_, _, rcpts := staticAudience(t, 1)
	ct, err := Seal(nil, rcpts[:1])
	if err != nil {
		t.Fatal(err)
	}
	stanzas := ageStanzas(ct)
	if len(stanzas) != 1 {
		t.Fatalf("age parses %d stanzas, want 1", len(stanzas))
	}
	s := stanzas[0]
	if s.Type != ssStanzaType || len(s.Args) != 1 || len(s.Args[0]) != 22 || len(s.Body) != 32 {
		t.Errorf("stanza %s %q with %d body bytes, want %s, one 22-character salt, 32 bytes", s.Type, s.Args, len(s.Body), ssStanzaType)
	}
	if got := len(stanzaText(s)); got != ssStanzaSize {
		t.Errorf("stanza is %d bytes, ssStanzaSize %d", got, ssStanzaSize)
	}
}
