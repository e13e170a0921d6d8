package protocol

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/entry_* vectors")

// vector is the expected outcome of decoding testdata/entry_<name>.hex.
type vector struct {
	Description string `json:"description"`
	Error       string `json:"error,omitempty"` // key of vectorErrors; empty when the entry is valid

	Hash           string   `json:"hash,omitempty"`
	Author         string   `json:"author,omitempty"` // base64
	Seq            uint64   `json:"seq,omitempty"`
	Prev           string   `json:"prev,omitempty"`
	Time           string   `json:"time,omitempty"` // RFC 3339 with nanoseconds
	Type           string   `json:"type,omitempty"`
	Audience       []string `json:"audience,omitempty"`
	Commitment     string   `json:"commitment,omitempty"`
	CiphertextSize int      `json:"ciphertext_size,omitempty"`
	Salt           string   `json:"salt,omitempty"` // hex; the record opens with test identities Readers
	Body           string   `json:"body,omitempty"`
	Readers        []int    `json:"readers,omitempty"` // test identities that can open the record
}

var vectorErrors = map[string]error{
	"truncated":     ErrTruncated,
	"too_large":     ErrTooLarge,
	"version":       ErrVersion,
	"bad_signature": ErrBadSignature,
	"malformed":     ErrMalformed,
}

// vectorBody is the record sealed in the valid vectors.
const vectorBody = `{"version":1,"kind":"enhanced_vigilance","reference":"IN-N-2026-0007","issued":"2026-11-20",` +
	`"title":"Bria zone","enhanced_vigilance":{"origin":"CF","from":"2026-11-20","measures":["inspect_shipments"]}}`

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	files, _ := filepath.Glob("testdata/entry_*.json")
	if len(files) < 8 {
		t.Fatalf("found %d vectors; run go test ./protocol -run TestVectors -update", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) { checkVector(t, name) })
	}
}

func checkVector(t *testing.T, name string) {
	var v vector
	if err := json.Unmarshal(readFile(t, "testdata/"+name+".json"), &v); err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(readFile(t, "testdata/"+name+".hex"))), ""))
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeEntry(raw)
	if v.Error != "" {
		want, ok := vectorErrors[v.Error]
		if !ok || !errors.Is(err, want) || e != nil {
			t.Fatalf("DecodeEntry = %v, %v; want nil, %q", e, err, v.Error)
		}
		return
	}
	if err != nil {
		t.Fatalf("DecodeEntry: %v", err)
	}
	got := describeEntry(t, e, v.Readers)
	got.Description = v.Description
	if !reflect.DeepEqual(got, v) {
		t.Errorf("decoded\n%#v\nwant\n%#v", got, v)
	}
}

// describeEntry returns the vector fields of a valid entry, opening its
// record with each of readers.
func describeEntry(t *testing.T, e *Entry, readers []int) vector {
	v := vector{Hash: e.Hash().String(), Author: e.Author.String(), Seq: e.Seq, Prev: e.Prev.String(),
		Time: e.Time.Format(time.RFC3339Nano), Type: e.Type, Audience: e.Audience,
		Commitment: e.Commitment.String(), CiphertextSize: len(e.Ciphertext), Readers: readers}
	for _, n := range readers {
		body, salt, err := OpenRecord(e, testIdentity(t, n).AgeIdentity())
		if err != nil {
			t.Fatalf("identity %d: OpenRecord: %v", n, err)
		}
		if err := ValidateRecord(e.Type, body); err != nil {
			t.Errorf("vector body: %v", err)
		}
		v.Salt, v.Body = hex.EncodeToString(salt[:]), string(body)
	}
	return v
}

// writeVectors regenerates the vectors deterministically: fixed keys and a
// fixed crypto/rand stream for the age encryption and the salts.
func writeVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	first := vectorEntry(t, 1, Hash{}, []string{"BE"}, 0, 1)
	second := vectorEntry(t, 2, first.Hash(), nil, 0)
	good := first.Bytes()
	raw := validRawEntry()
	withRaw := func(f func(*rawEntry)) []byte { r := raw; f(&r); return r.sign(0) }
	versioned := append([]byte{2}, good[1:]...)
	outcomes := []struct {
		name, desc, err string
		b               []byte
		e               *Entry
		readers         []int
	}{
		{"valid", "first entry of identity 0's feed, audience BE (identity 1)", "", good, first, []int{0, 1}},
		{"valid_seq2", "second entry, chained to entry_valid, empty audience", "", second.Bytes(), second, []int{0}},
		{"bad_signature", "entry_valid with ciphertext byte 200 inverted", "bad_signature", flip(good, 200), nil, nil},
		{"truncated", "first 100 bytes of entry_valid", "truncated", good[:100], nil, nil},
		{"wrong_version", "entry_valid with version byte 2", "version", versioned, nil, nil},
		{"unsorted_audience", "signed entry with audience BE, AE", "malformed", withRaw(func(r *rawEntry) { r.audience = []string{"BE", "AE"} }), nil, nil},
		{"bad_type", "signed entry with type name \"Notice\"", "malformed", withRaw(func(r *rawEntry) { r.typ = "Notice" }), nil, nil},
		{"trailing_bytes", "signed entry with a byte between ciphertext and signature", "malformed", withRaw(func(r *rawEntry) { r.trailing = []byte{0} }), nil, nil},
	}
	for _, o := range outcomes {
		v := vector{Description: o.desc, Error: o.err}
		if o.e != nil {
			v = describeEntry(t, o.e, o.readers)
			v.Description = o.desc
		}
		writeVector(t, o.name, o.b, v)
	}
}

func vectorEntry(t *testing.T, seq uint64, prev Hash, audience []string, readers ...int) *Entry {
	ct, commitment, err := SealRecord([]byte(vectorBody), recipients(t, readers...))
	if err != nil {
		t.Fatal(err)
	}
	return mustEntry(t, testIdentity(t, 0), Draft{Seq: seq, Prev: prev, Time: testTime.Add(time.Duration(seq) * time.Minute),
		Type: NoticeType, Audience: audience, Commitment: commitment, Ciphertext: ct})
}

func writeVector(t *testing.T, name string, b []byte, v vector) {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join("testdata", "entry_"+name)
	writeHex(t, base+".hex", b)
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeHex writes b to path in hex, 32 bytes a line.
func writeHex(t *testing.T, path string, b []byte) {
	var lines []string
	for h := hex.EncodeToString(b); len(h) > 0; {
		n := min(64, len(h))
		lines, h = append(lines, h[:n]), h[n:]
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVectorChain(t *testing.T) {
	load := func(name string) *Entry {
		raw, err := hex.DecodeString(strings.Join(strings.Fields(string(readFile(t, "testdata/entry_"+name+".hex"))), ""))
		if err != nil {
			t.Fatal(err)
		}
		e, err := DecodeEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first, second := load("valid"), load("valid_seq2")
	if err := first.Follows(0, Hash{}); err != nil {
		t.Error(err)
	}
	if err := second.Follows(first.Seq, first.Hash()); err != nil {
		t.Error(err)
	}
	if first.Author != testIdentity(t, 0).Public() {
		t.Error("vector author is not test identity 0")
	}
}
