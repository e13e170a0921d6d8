package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
)

// sealedEntry seals body from identity 0 to identities rcpts and returns a
// signed entry with audience codes.
func sealedEntry(t *testing.T, body []byte, audience []string, rcpts ...int) *Entry {
	t.Helper()
	ct, commitment, err := SealRecord(body, recipients(t, rcpts...))
	if err != nil {
		t.Fatalf("SealRecord: %v", err)
	}
	return mustEntry(t, testIdentity(t, 0), Draft{Seq: 1, Time: testTime, Type: "notice",
		Audience: audience, Commitment: commitment, Ciphertext: ct})
}

func TestSealOpenRecord(t *testing.T) {
	body := []byte(`{"version":1}`)
	e := sealedEntry(t, body, []string{"BE"}, 0, 1)
	for _, n := range []int{0, 1} {
		got, salt, err := OpenRecord(e, testIdentity(t, n).AgeIdentity())
		if err != nil {
			t.Fatalf("identity %d: OpenRecord: %v", n, err)
		}
		if !bytes.Equal(got, body) || Commit(salt, got) != e.Commitment || salt == ([SaltSize]byte{}) {
			t.Errorf("identity %d: body %q salt %x do not open commitment %s", n, got, salt, e.Commitment)
		}
	}
}

func TestSealRecordSaltIsFresh(t *testing.T) {
	body := []byte("same body")
	_, c1, err1 := SealRecord(body, recipients(t, 0))
	_, c2, err2 := SealRecord(body, recipients(t, 0))
	if err1 != nil || err2 != nil || c1 == c2 {
		t.Errorf("two seals of one body gave commitments %s and %s (%v, %v)", c1, c2, err1, err2)
	}
}

func TestOpenRecordErrors(t *testing.T) {
	body := []byte(`{"version":1}`)
	var salt [SaltSize]byte
	rawSeal := func(plain []byte) *Entry {
		ct, err := crypto.Seal(plain, recipients(t, 0))
		if err != nil {
			t.Fatal(err)
		}
		return mustEntry(t, testIdentity(t, 0), Draft{Seq: 1, Time: testTime, Type: "notice",
			Commitment: Commit(salt, body), Ciphertext: ct})
	}
	wrongCommitment := sealedEntry(t, body, nil, 0)
	d := entryDraft(wrongCommitment)
	d.Commitment[0] ^= 1
	tests := []struct {
		name string
		e    *Entry
		id   int
		want error
	}{
		{"not a recipient", sealedEntry(t, body, []string{"BE"}, 0, 1), 2, ErrNotRecipient},
		{"more stanzas than audience+1", sealedEntry(t, body, []string{"BE"}, 0, 1, 2), 0, ErrTooManyStanzas},
		{"commitment mismatch", mustEntry(t, testIdentity(t, 0), d), 0, ErrCommitment},
		{"payload shorter than salt", rawSeal([]byte{RecordVersion, 1, 2}), 0, ErrCommitment},
		{"payload version 2", rawSeal(append([]byte{2}, append(salt[:], body...)...)), 0, ErrVersion},
		{"not age", mustEntry(t, testIdentity(t, 0), testDraft()), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s, err := OpenRecord(tt.e, testIdentity(t, tt.id).AgeIdentity())
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || got != nil || s != salt {
				t.Errorf("OpenRecord = %q, %x, %v; want nil, zero, %v", got, s, err, tt.want)
			}
		})
	}
	if _, _, err := OpenRecord(rawSeal(append([]byte{RecordVersion}, append(salt[:], body...)...)),
		testIdentity(t, 0).AgeIdentity()); err != nil {
		t.Errorf("control: OpenRecord of a well-formed payload: %v", err)
	}
}

func entryDraft(e *Entry) Draft {
	return Draft{Seq: e.Seq, Prev: e.Prev, Time: e.Time, Type: e.Type, Audience: e.Audience,
		Commitment: e.Commitment, Ciphertext: e.Ciphertext}
}

func TestCommit(t *testing.T) {
	var salt [SaltSize]byte
	for i := range salt {
		salt[i] = byte(i)
	}
	body := []byte("body")
	want := sha256.Sum256(append(append([]byte("kpnode/commitment/v1\x00"), salt[:]...), body...))
	if got := Commit(salt, body); got != Hash(want) {
		t.Errorf("Commit = %s, want %x", got, want)
	}
	if err := CheckCommitment(Hash(want), salt, body); err != nil {
		t.Errorf("CheckCommitment: %v", err)
	}
	salt[0] = 1
	if err := CheckCommitment(Hash(want), salt, body); !errors.Is(err, ErrCommitment) {
		t.Errorf("CheckCommitment(other salt) = %v, want ErrCommitment", err)
	}
}

func TestEvidence(t *testing.T) {
	body := []byte(`{"version":1}`)
	e := sealedEntry(t, body, []string{"BE"}, 0, 1)
	opened, salt, err := OpenRecord(e, testIdentity(t, 1).AgeIdentity())
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(NewEvidence(e, salt, opened))
	if err != nil {
		t.Fatal(err)
	}
	var ev Evidence
	if err := json.Unmarshal(js, &ev); err != nil {
		t.Fatal(err)
	}
	got, err := ev.Verify()
	if err != nil || got.Hash() != e.Hash() {
		t.Fatalf("Verify = %v, %v; want entry %s", got, err, e.Hash().Short())
	}
	tests := []struct {
		name   string
		modify func(*Evidence)
		want   error
	}{
		{"other body", func(ev *Evidence) { ev.Body = []byte(`{"version":2}`) }, ErrCommitment},
		{"other salt", func(ev *Evidence) { ev.Salt = bytes.Repeat([]byte{1}, SaltSize) }, ErrCommitment},
		{"short salt", func(ev *Evidence) { ev.Salt = ev.Salt[:31] }, ErrCommitment},
		{"tampered entry", func(ev *Evidence) { ev.Entry = flip(ev.Entry, 100) }, ErrBadSignature},
		{"no entry", func(ev *Evidence) { ev.Entry = nil }, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := ev
			bad.Salt, bad.Body, bad.Entry = bytes.Clone(ev.Salt), bytes.Clone(ev.Body), bytes.Clone(ev.Entry)
			tt.modify(&bad)
			if got, err := bad.Verify(); !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Verify = %v, %v; want nil, %v", got, err, tt.want)
			}
		})
	}
}

func TestSealRecordErrors(t *testing.T) {
	if _, _, err := SealRecord([]byte("x"), nil); err == nil {
		t.Error("SealRecord with no recipients succeeded")
	}
	if _, _, err := SealRecord(make([]byte, MaxEntrySize+1), []age.Recipient{testIdentity(t, 0).Recipient()}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("SealRecord(oversize) = %v, want ErrTooLarge", err)
	}
}

// withMalformed is a recipient that adds a malformed X25519 stanza before
// or after the stanza of the recipient r it wraps.
type withMalformed struct {
	r      age.Recipient
	before bool // the malformed stanza before r's, or after it
}

// Wrap implements age.Recipient: r's stanza and an X25519 stanza with an
// argument that is not a key, which age refuses the file on when it comes
// to it before a match.
func (w withMalformed) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	s, err := w.r.Wrap(fileKey)
	if err != nil {
		return nil, err
	}
	bad := &age.Stanza{Type: "X25519", Args: []string{"a"}}
	if w.before {
		return append([]*age.Stanza{bad}, s...), nil
	}
	return append(s, bad), nil
}

// TestOpenRecordVerdictIsAge: for an entry to audience AE, BE whose
// stanzas are a malformed one and BE's own (in either order), then the
// author's, BE's verdict is age's whether or not it names itself: age
// refuses the file when the malformed stanza comes first and opens it
// when BE's comes first. Trying BE's position (1) first got both wrong.
func TestOpenRecordVerdictIsAge(t *testing.T) {
	body := []byte(`{"version":1}`)
	reader := testIdentity(t, 1).AgeIdentity()
	for _, before := range []bool{true, false} {
		rcpts := []age.Recipient{withMalformed{testIdentity(t, 1).Recipient(), before}, testIdentity(t, 0).Recipient()}
		ct, commitment, err := SealRecord(body, rcpts)
		if err != nil {
			t.Fatal(err)
		}
		e := mustEntry(t, testIdentity(t, 0), Draft{Seq: 1, Time: testTime, Type: "notice",
			Audience: []string{"AE", "BE"}, Commitment: commitment, Ciphertext: ct})
		r, aerr := age.Decrypt(bytes.NewReader(ct), reader)
		if aerr == nil {
			_, aerr = io.ReadAll(r)
		}
		if (aerr == nil) == before {
			t.Fatalf("malformed stanza first = %v: age.Decrypt: %v", before, aerr)
		}
		_, _, err = OpenRecord(e, reader)
		if (err == nil) != (aerr == nil) {
			t.Errorf("malformed stanza first = %v: OpenRecord %v, age %v", before, err, aerr)
		}
	}
}
