package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeEntry checks that DecodeEntry never panics, returns nil with
// every error, and that a decoded entry gives back exactly its input.
func FuzzDecodeEntry(f *testing.F) {
	files, _ := filepath.Glob("testdata/entry_*.hex")
	for _, name := range files {
		b, err := hex.DecodeString(strings.Join(strings.Fields(string(readFile(f, name))), ""))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add(validRawEntry().sign(0))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			if e != nil {
				t.Fatalf("entry %v returned with error %v", e, err)
			}
			return
		}
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatal("Bytes() differs from the input")
		}
		again, err := DecodeEntry(e.Bytes())
		if err != nil || again.Hash() != e.Hash() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzParseCard checks that ParseCard never panics, returns nil with every
// error, and that a parsed card's canonical bytes parse to the same card.
func FuzzParseCard(f *testing.F) {
	sc, err := SignCard(testCard(), testIdentity(f, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sc.Bytes())
	f.Add([]byte(`{"card":{},"signing_key":"","signature":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCard(b)
		if err != nil {
			if c != nil {
				t.Fatalf("card returned with error %v", err)
			}
			return
		}
		again, err := ParseCard(c.Bytes())
		if err != nil || !bytes.Equal(again.Bytes(), c.Bytes()) || again.Key != c.Key {
			t.Fatalf("canonical bytes do not parse back: %v", err)
		}
	})
}

// FuzzNotice checks that the notice validator never panics, returns nil
// with every error, names a field or the document in every problem, and that
// an accepted notice marshals to a body it accepts again.
func FuzzNotice(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "notice*.json"))
	for _, name := range files {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNotice(b)
		if err != nil {
			ve, ok := err.(*ValidationError)
			if n != nil || !ok || len(ve.Errors) == 0 {
				t.Fatalf("ParseNotice = %v, %v", n, err)
			}
			return
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseNotice(out); err != nil {
			t.Fatalf("re-encoded notice rejected: %v\n%s", err, out)
		}
	})
}

// FuzzParseCarats checks that accepted amounts format back to a string
// that parses to the same value, and that JSON marshalling round-trips.
func FuzzParseCarats(f *testing.F) {
	for _, s := range []string{"12", "12.5", "12.50", "0", "92233720368547758.07", "1e3", "-1", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCarats(s)
		if err != nil {
			if c != 0 {
				t.Fatalf("value %d returned with error", c)
			}
			return
		}
		if c < 0 {
			t.Fatalf("ParseCarats(%q) = %d, negative", s, c)
		}
		back, err := ParseCarats(c.String())
		if err != nil || back != c {
			t.Fatalf("ParseCarats(%q) = %d; String %q parses to %d, %v", s, c, c.String(), back, err)
		}
		js, _ := json.Marshal(c)
		var u Carats
		if err := json.Unmarshal(js, &u); err != nil || u != c {
			t.Fatalf("JSON round trip of %d: %s, %v", c, js, err)
		}
	})
}

// FuzzParseEntry reaches the field parser that DecodeEntry guards with the
// signature check, and checks the encoding is canonical: whatever parses
// re-encodes to exactly the same bytes.
func FuzzParseEntry(f *testing.F) {
	f.Add(validRawEntry().sign(0))
	f.Add(mustEntry(f, testIdentity(f, 0), testDraft()).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < MinEntrySize || len(b) > MaxEntrySize || b[0] != EntryVersion {
			return
		}
		e, err := parseEntry(bytes.Clone(b))
		if err != nil {
			if e != nil {
				t.Fatalf("entry returned with error %v", err)
			}
			return
		}
		sig := func([]byte) []byte { return e.Signature[:] }
		again, err := encodeEntry(e.Author, Draft{Seq: e.Seq, Prev: e.Prev, Time: e.Time, Type: e.Type,
			Audience: e.Audience, Commitment: e.Commitment, Ciphertext: e.Ciphertext}, sig)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("parsed entry re-encodes differently (%v)", err)
		}
	})
}

// FuzzCardBody reaches the card validator that ParseCard guards with the
// signature check: whatever it accepts must marshal to a card it accepts.
func FuzzCardBody(f *testing.F) {
	id := testIdentity(f, 0)
	sc, err := SignCard(testCard(), id)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sc.raw)
	f.Add([]byte(`{"version":1,"addrs":["/dns4/example.org/tcp/1"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := newSignedCard(id.Public(), b, nil)
		if err != nil {
			if got != nil {
				t.Fatalf("card returned with error %v", err)
			}
			return
		}
		raw, err := json.Marshal(got.Card)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newSignedCard(id.Public(), raw, nil); err != nil {
			t.Fatalf("re-encoded card rejected: %v\n%s", err, raw)
		}
	})
}
