package crypto

import (
	"bytes"
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
