package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/age"
)

// FuzzOpen mutates whole ciphertexts: Open must agree with age.Decrypt on
// accepting or refusing each one, and on the plaintext.
func FuzzOpen(f *testing.F) {
	id := testAgeIdentity(f)
	other := mustIdentity(f)
	rcpts := []age.Recipient{other.Recipient(), id.Recipient()}
	for _, size := range []int{0, 1, 300} {
		pt := bytes.Repeat([]byte{'p'}, size)
		for _, seal := range []func([]byte, []age.Recipient) ([]byte, error){Seal, sealStream} {
			ct, err := seal(pt, rcpts)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(ct)
		}
	}
	f.Add(craftFile(f, greaseStanzas(2)+x25519Stanza(f, id), testFileKey, "crafted"))
	f.Fuzz(func(t *testing.T, ct []byte) {
		compareOpen(t, ct, id)
	})
}

// FuzzOpenHeader fuzzes the header alone: the input is everything up to
// the MAC, which the target computes with the test file key before adding
// a one-chunk payload. Non-canonical headers thus carry a right MAC, and
// only the parsers can tell them apart: Open and age must agree.
func FuzzOpenHeader(f *testing.F) {
	id := testAgeIdentity(f)
	x := x25519Stanza(f, id)
	for _, stanzas := range []string{
		x,
		greaseStanzas(1) + x,
		"-> grease a b\n" + b64.EncodeToString(bytes.Repeat([]byte{9}, 48)) + "\n\n" + x,
		x + "-> X25519 a\n\n",
	} {
		f.Add([]byte(ageIntro + "\n" + stanzas + "---"))
	}
	payload := craftPayload(f, testFileKey, chunk{[]byte("fuzz"), true})
	f.Fuzz(func(t *testing.T, signed []byte) {
		compareOpen(t, craftRaw(t, string(signed), canonicalFooter, payload), id)
	})
}

func compareOpen(t *testing.T, ct []byte, id *age.X25519Identity) {
	ours, oerr := Open(ct, id, 2*maxRecipientStanzas)
	theirs, aerr := ageDecrypt(ct, id)
	if (oerr == nil) != (aerr == nil) {
		t.Fatalf("verdicts differ on %q:\nOpen: %v\nage:  %v", ct, oerr, aerr)
	}
	if oerr == nil && !bytes.Equal(ours, theirs) {
		t.Fatalf("plaintexts differ on %q: Open %q, age %q", ct, ours, theirs)
	}
	if oerr != nil && ours != nil {
		t.Fatalf("Open returned %d bytes with error %v", len(ours), oerr)
	}
}

// FuzzOpenVerdict is the differential target of docs/security.md, "Equal
// verdicts": for any input, Open gives the verdict age.Decrypt gives with
// the same identity (the same plaintext, or a refusal), for a reader
// holding a plain age X25519 identity and for one holding a static-static
// identity, whatever the reader's position among the stanzas. Under the
// stanza cap only: a header with more stanzas than the caller allows is
// refused whatever age says.
func FuzzOpenVerdict(f *testing.F) {
	v := newVerdictFixture(f)
	for _, seed := range v.seeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ct []byte) {
		for _, id := range v.identities {
			compareVerdicts(t, ct, id)
		}
	})
}

// compareVerdicts checks Open of ct against age.Decrypt with id, the
// header path alone (openHeader, the hand-written parser) against age.DecryptHeader,
// and that a cap one below the stanza count refuses ct with
// ErrTooManyStanzas.
func compareVerdicts(t *testing.T, ct []byte, id age.Identity) {
	t.Helper()
	theirs, aerr := ageDecrypt(ct, id)
	ours, oerr := Open(ct, id, maxRecipientStanzas)
	if (oerr == nil) != (aerr == nil) {
		t.Fatalf("verdicts differ on %q:\nkpnode: %v\nage:    %v", ct, oerr, aerr)
	}
	key, _, herr := openHeader(ct, fastIdentity(id), maxRecipientStanzas)
	want, derr := age.DecryptHeader(ct, id)
	if (herr == nil) != (derr == nil) || !bytes.Equal(key, want) {
		t.Fatalf("header verdicts differ on %q:\nby hand: %v\nage:     %v", ct, herr, derr)
	}
	if oerr == nil && !bytes.Equal(ours, theirs) {
		t.Fatalf("plaintexts differ on %q: kpnode %q, age %q", ct, ours, theirs)
	}
	if oerr != nil && ours != nil {
		t.Fatalf("%d bytes returned with error %v", len(ours), oerr)
	}
	if n := ageStanzaCount(ct); n > 0 {
		if _, err := Open(ct, id, n-1); !errors.Is(err, ErrTooManyStanzas) {
			t.Fatalf("%d stanzas under a cap of %d: err = %v, want ErrTooManyStanzas", n, n-1, err)
		}
	}
}

// ageStanzaCount returns the number of stanzas in ct's header as the age
// library parses it, or 0 when age refuses the header.
func ageStanzaCount(ct []byte) int {
	return len(ageStanzas(ct))
}

// ageStanzas returns the stanzas of ct's header as the age library parses
// them, or nil when age refuses the header.
func ageStanzas(ct []byte) []*age.Stanza {
	var r stanzaRecorder
	if _, err := age.DecryptHeader(ct, &r); !errors.Is(err, age.ErrIncorrectIdentity) {
		return nil
	}
	return r.stanzas
}

// stanzaRecorder is an identity that matches no stanza and keeps those it
// was given.
type stanzaRecorder struct{ stanzas []*age.Stanza }

func (r *stanzaRecorder) Unwrap(s []*age.Stanza) ([]byte, error) {
	r.stanzas = s
	return nil, age.ErrIncorrectIdentity
}

// verdictFixture is an author, a reader, the reader's identities and a
// third party's key, with which FuzzOpenVerdict's seeds are made.
type verdictFixture struct {
	author, reader, other *Identity
	identities            []age.Identity
}

// newVerdictFixture makes the fixture. Its identities are the reader's
// two kinds, X25519 and static-static, and two that test how a verdict
// follows from what Unwrap returns, as in age.Decrypt: keyAnyway returns
// testFileKey together with age.ErrIncorrectIdentity (age goes on to the
// MAC with that key, so the crafted files open), silent returns neither a
// key nor an error (age finds no match).
func newVerdictFixture(t testing.TB) *verdictFixture {
	v := &verdictFixture{author: mustIdentity(t), reader: mustIdentity(t), other: mustIdentity(t)}
	v.identities = []age.Identity{v.reader.AgeIdentity(), mustStaticIdentity(t, v.reader, v.author),
		keyAnyway{}, silent{}}
	return v
}

// keyAnyway is an identity that returns testFileKey and
// age.ErrIncorrectIdentity for any stanzas.
type keyAnyway struct{}

func (keyAnyway) Unwrap([]*age.Stanza) ([]byte, error) {
	return bytes.Clone(testFileKey), age.ErrIncorrectIdentity
}

// silent is an identity that returns neither a key nor an error.
type silent struct{}

func (silent) Unwrap([]*age.Stanza) ([]byte, error) { return nil, nil }

// seeds returns files sealed to 1..4 recipients of each kind with the
// reader at every position, and crafted files that put hostile stanzas
// before, at and after the reader's.
func (v *verdictFixture) seeds(t testing.TB) [][]byte {
	var out [][]byte
	for n := 1; n <= 4; n++ {
		for pos := range n {
			for _, static := range []bool{false, true} {
				ct, err := Seal([]byte("record"), v.recipients(t, n, pos, static))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, ct)
			}
		}
	}
	for _, stanzas := range v.hostileHeaders(t) {
		out = append(out, craftFile(t, stanzas, testFileKey, "crafted"))
	}
	long, err := Seal(bytes.Repeat([]byte{'L'}, chunkSize+1), v.recipients(t, 2, 1, true))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, long)
}

// recipients returns n recipients with the reader at pos and third parties
// elsewhere, all static-static from the author or all X25519.
func (v *verdictFixture) recipients(t testing.TB, n, pos int, static bool) []age.Recipient {
	rs := make([]age.Recipient, n)
	for i := range rs {
		to := v.other
		if i == pos {
			to = v.reader
		}
		rs[i] = to.Recipient()
		if static {
			rs[i] = mustStaticRecipient(t, v.author, to)
		}
	}
	return rs
}

// hostileHeaders returns stanza sequences around the reader's stanzas:
// malformed ones of the types the reader knows, before and after its own;
// a second stanza for the reader that wraps another file key; unknown
// types; a truncated body; 1,024 and 1,025 stanzas.
func (v *verdictFixture) hostileHeaders(t testing.TB) []string {
	x := x25519Stanza(t, v.reader.AgeIdentity())
	ss := ssStanza(t, v.author, v.reader)
	otherKey := []byte("another file key")
	xOther := wrapText(t, v.reader.Recipient(), otherKey)
	ssOther := wrapText(t, mustStaticRecipient(t, v.author, v.reader), otherKey)
	xThird := x25519Stanza(t, v.other.AgeIdentity())
	zeroKey := "-> X25519 " + b64.EncodeToString(make([]byte, 32)) + "\n" + b64.EncodeToString(make([]byte, 32)) + "\n"
	badX := []string{"-> X25519 a\n\n", "-> X25519\n\n", zeroKey, "-> X25519 " + b64.EncodeToString(make([]byte, 31)) + "\n\n"}
	badSS := []string{"-> kpnode-ss25519 a\n\n", "-> kpnode-ss25519\n\n", "-> kpnode-ss25519 AAAAAAAAAAAAAAAAAAAAAA\nAAAA\n"}
	var out []string
	for _, own := range []string{x, ss} {
		for _, bad := range append(badX, badSS...) {
			out = append(out, bad+own, own+bad, xThird+bad+own, own+xThird+bad)
		}
		out = append(out,
			xOther+own, ssOther+own, own+xOther, own+ssOther,
			greaseStanzas(2)+own, own+greaseStanzas(2),
			"-> x25519 "+strings.SplitN(x, " ", 3)[2]+own,
			greaseStanzas(maxRecipientStanzas-1)+own, greaseStanzas(maxRecipientStanzas)+own)
	}
	return out
}

// wrapText returns r's stanza for fileKey, as text.
func wrapText(t testing.TB, r age.Recipient, fileKey []byte) string {
	s, err := r.Wrap(fileKey)
	if err != nil {
		t.Fatal(err)
	}
	return stanzaText(s[0])
}

// TestVerdictsEqualAge: the seeds of FuzzOpenVerdict get age's verdict.
// Among them the files where trying the reader's own stanza first (the
// former hint) changed it: a malformed X25519 or static-static stanza
// before the reader's (age refuses), after it (age opens), and a stanza
// for the reader wrapping another file key before its own (age takes the
// first and refuses on the header MAC).
func TestVerdictsEqualAge(t *testing.T) {
	v := newVerdictFixture(t)
	for i, seed := range v.seeds(t) {
		for _, id := range v.identities {
			t.Run(fmt.Sprintf("seed%d/%T", i, id), func(t *testing.T) { compareVerdicts(t, seed, id) })
		}
	}
}

// TestUnwrapResultsAsAge pins what age.Decrypt makes of an identity's
// Unwrap results, which Open and the hand-written header path follow: a
// key returned with age.ErrIncorrectIdentity goes on to the MAC check (and
// opens a file whose MAC it matches), no key and no error is no match.
func TestUnwrapResultsAsAge(t *testing.T) {
	ct := craftFile(t, greaseStanzas(1), testFileKey, "crafted")
	for _, tc := range []struct {
		id   age.Identity
		want bool
	}{{keyAnyway{}, true}, {silent{}, false}} {
		pt, err := ageDecrypt(ct, tc.id)
		if (err == nil) != tc.want || tc.want && string(pt) != "crafted" {
			t.Fatalf("age with %T: %q, %v; want opened = %v", tc.id, pt, err, tc.want)
		}
		compareVerdicts(t, ct, tc.id)
	}
}
