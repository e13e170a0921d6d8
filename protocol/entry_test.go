package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEntryRoundTrip(t *testing.T) {
	id := testIdentity(t, 0)
	e := mustEntry(t, id, testDraft())
	got, err := DecodeEntry(e.Bytes())
	if err != nil {
		t.Fatalf("DecodeEntry: %v", err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Errorf("decoded entry differs:\n got %+v\nwant %+v", got, e)
	}
	want := Draft{Seq: 1, Time: testTime, Type: "notice", Audience: []string{"AE", "BE"},
		Commitment: testDraft().Commitment, Ciphertext: testDraft().Ciphertext}
	if got.Author != id.Public() || got.Seq != want.Seq || !got.Time.Equal(want.Time) ||
		got.Type != want.Type || !reflect.DeepEqual(got.Audience, want.Audience) ||
		got.Commitment != want.Commitment || !bytes.Equal(got.Ciphertext, want.Ciphertext) {
		t.Errorf("fields %+v, want %+v", got, want)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("time location %v, want UTC", got.Time.Location())
	}
	if got.Hash() != entryHash(e.Bytes()) || got.Hash().IsZero() {
		t.Errorf("hash %s is not SHA-256 of the bytes", got.Hash())
	}
	if len(e.Bytes()) != 81+1+6+1+4+32+4+len(want.Ciphertext)+64 {
		t.Errorf("encoded size %d does not match the layout", len(e.Bytes()))
	}
}

func TestDecodeEntryCopiesInput(t *testing.T) {
	b := bytes.Clone(mustEntry(t, testIdentity(t, 0), testDraft()).Bytes())
	e, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	h := e.Hash()
	for i := range b {
		b[i] = 0
	}
	if e.Hash() != entryHash(e.Bytes()) || e.Hash() != h || e.Bytes()[0] != EntryVersion {
		t.Error("entry shares memory with the caller's buffer")
	}
}

func TestNewEntryRejects(t *testing.T) {
	id := testIdentity(t, 0)
	tests := []struct {
		name   string
		modify func(*Draft)
		want   error
	}{
		{"seq zero", func(d *Draft) { d.Seq = 0 }, ErrMalformed},
		{"seq 1 with prev", func(d *Draft) { d.Prev = Hash{1} }, ErrMalformed},
		{"seq 2 without prev", func(d *Draft) { d.Seq = 2 }, ErrMalformed},
		{"zero time", func(d *Draft) { d.Time = time.Time{} }, ErrMalformed},
		{"time before 1970", func(d *Draft) { d.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }, ErrMalformed},
		{"time after 2262", func(d *Draft) { d.Time = time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC) }, ErrMalformed},
		{"empty type", func(d *Draft) { d.Type = "" }, ErrMalformed},
		{"uppercase type", func(d *Draft) { d.Type = "Notice" }, ErrMalformed},
		{"type starting with digit", func(d *Draft) { d.Type = "1notice" }, ErrMalformed},
		{"type with dash", func(d *Draft) { d.Type = "a-b" }, ErrMalformed},
		{"type too long", func(d *Draft) { d.Type = strings.Repeat("a", MaxTypeLen+1) }, ErrMalformed},
		{"duplicate audience", func(d *Draft) { d.Audience = []string{"BE", "BE"} }, ErrMalformed},
		{"lowercase audience", func(d *Draft) { d.Audience = []string{"be"} }, ErrMalformed},
		{"three-letter audience", func(d *Draft) { d.Audience = []string{"BEL"} }, ErrMalformed},
		{"audience too large", func(d *Draft) { d.Audience = codes(MaxAudience + 1) }, ErrMalformed},
		{"empty ciphertext", func(d *Draft) { d.Ciphertext = nil }, ErrMalformed},
		{"oversize", func(d *Draft) { d.Ciphertext = make([]byte, MaxEntrySize) }, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDraft()
			tt.modify(&d)
			e, err := NewEntry(id, d)
			if !errors.Is(err, tt.want) || e != nil {
				t.Errorf("NewEntry = %v, %v; want nil, %v", e, err, tt.want)
			}
		})
	}
}

func TestNewEntryLimits(t *testing.T) {
	id := testIdentity(t, 0)
	d := testDraft()
	d.Type = strings.Repeat("z", MaxTypeLen)
	d.Audience = codes(MaxAudience)
	fixed := MinEntrySize - 1 - 1 + len(d.Type) + 2*len(d.Audience)
	d.Ciphertext = make([]byte, MaxEntrySize-fixed)
	e := mustEntry(t, id, d)
	if len(e.Bytes()) != MaxEntrySize {
		t.Fatalf("largest entry is %d bytes, want %d", len(e.Bytes()), MaxEntrySize)
	}
	if _, err := DecodeEntry(e.Bytes()); err != nil {
		t.Errorf("DecodeEntry(largest): %v", err)
	}
	d.Ciphertext = append(d.Ciphertext, 0)
	if _, err := NewEntry(id, d); !errors.Is(err, ErrTooLarge) {
		t.Errorf("NewEntry(one byte over) = %v, want ErrTooLarge", err)
	}
}

func TestNewEntrySortsAudience(t *testing.T) {
	d := testDraft()
	d.Audience = []string{"ZA", "BE", "IN"}
	e := mustEntry(t, testIdentity(t, 0), d)
	if want := []string{"BE", "IN", "ZA"}; !reflect.DeepEqual(e.Audience, want) {
		t.Errorf("audience %v, want %v", e.Audience, want)
	}
	if d.Audience[0] != "ZA" {
		t.Error("NewEntry modified the caller's audience")
	}
}

func TestMinimalEntry(t *testing.T) {
	d := Draft{Seq: 1, Time: time.Unix(0, 0), Type: "a", Ciphertext: []byte{1}}
	e := mustEntry(t, testIdentity(t, 0), d)
	if len(e.Bytes()) != MinEntrySize {
		t.Errorf("minimal entry is %d bytes, MinEntrySize is %d", len(e.Bytes()), MinEntrySize)
	}
	if e.Audience != nil {
		t.Errorf("empty audience decodes as %#v, want nil", e.Audience)
	}
}

func TestDecodeEntryErrors(t *testing.T) {
	valid := validRawEntry()
	mod := func(f func(*rawEntry)) []byte { r := valid; f(&r); return r.sign(0) }
	good := valid.sign(0)
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string // in the error message
	}{
		{"empty", nil, ErrTruncated, "minimum"},
		{"one byte short of minimum", good[:MinEntrySize-1], ErrTruncated, "minimum"},
		{"oversize", make([]byte, MaxEntrySize+1), ErrTooLarge, "limit"},
		{"version 0", mod(func(r *rawEntry) { r.version = 0 }), ErrVersion, "0"},
		{"version 2", mod(func(r *rawEntry) { r.version = 2 }), ErrVersion, "2"},
		{"signature by other key", withAuthor(good, testIdentity(t, 1).Public()), ErrBadSignature, ""},
		{"flipped signature bit", flip(good, len(good)-1), ErrBadSignature, ""},
		{"trailing byte after signature", append(bytes.Clone(good), 0), ErrBadSignature, ""},
		{"trailing bytes before signature", mod(func(r *rawEntry) { r.trailing = []byte{0} }), ErrMalformed, "trailing"},
		{"ciphertext length past end", mod(func(r *rawEntry) { r.ctLen = 2 }), ErrTruncated, "needs 2 bytes, 1 left"},
		{"ciphertext length huge", mod(func(r *rawEntry) { r.ctLen = 1 << 31 }), ErrTruncated, "left"},
		{"empty ciphertext", mod(func(r *rawEntry) { r.ciphertext = nil }), ErrMalformed, "empty ciphertext"},
		{"seq zero", mod(func(r *rawEntry) { r.seq = 0 }), ErrMalformed, "seq 0"},
		{"seq 1 with prev", mod(func(r *rawEntry) { r.prev = Hash{1} }), ErrMalformed, "non-zero prev"},
		{"seq 2 without prev", mod(func(r *rawEntry) { r.seq = 2 }), ErrMalformed, "zero prev"},
		{"negative time", mod(func(r *rawEntry) { r.nanos = -1 }), ErrMalformed, "1970"},
		{"empty type", mod(func(r *rawEntry) { r.typ = "" }), ErrMalformed, "type name"},
		{"bad type name", mod(func(r *rawEntry) { r.typ = "Notice" }), ErrMalformed, "type name"},
		{"type too long", mod(func(r *rawEntry) { r.typ = strings.Repeat("a", 33) }), ErrMalformed, "type name"},
		{"unsorted audience", mod(func(r *rawEntry) { r.audience = []string{"BE", "AE"} }), ErrMalformed, "ascending"},
		{"duplicate audience", mod(func(r *rawEntry) { r.audience = []string{"BE", "BE"} }), ErrMalformed, "ascending"},
		{"lowercase audience", mod(func(r *rawEntry) { r.audience = []string{"be"} }), ErrMalformed, "audience code"},
		{"audience over limit", mod(func(r *rawEntry) { r.audience = codes(MaxAudience + 1) }), ErrMalformed, "limit"},
		{"type length past end", mod(func(r *rawEntry) { r.patch = func(b []byte) { b[81] = 255 } }), ErrTruncated, "needs 255 bytes"},
		{"audience count past end", mod(func(r *rawEntry) { r.patch = func(b []byte) { b[88] = 60 } }), ErrTruncated, "needs 2 bytes"},
		{"audience count over limit", mod(func(r *rawEntry) { r.patch = func(b []byte) { b[88] = 101 } }), ErrMalformed, "audience of 101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := DecodeEntry(tt.in)
			if !errors.Is(err, tt.want) || e != nil {
				t.Fatalf("DecodeEntry = %v, %v; want nil, %v", e, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "decode entry: ") {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestDecodeEntryTruncatedEverywhere(t *testing.T) {
	b := mustEntry(t, testIdentity(t, 0), testDraft()).Bytes()
	for n := range len(b) {
		e, err := DecodeEntry(b[:n])
		want := ErrBadSignature
		if n < MinEntrySize {
			want = ErrTruncated
		}
		if !errors.Is(err, want) || e != nil {
			t.Fatalf("DecodeEntry(first %d bytes) = %v, %v; want nil, %v", n, e, err, want)
		}
	}
}

func TestDecodeEntryFlippedByteAnywhere(t *testing.T) {
	b := mustEntry(t, testIdentity(t, 0), testDraft()).Bytes()
	for i := range b {
		e, err := DecodeEntry(flip(b, i))
		want := ErrBadSignature
		if i == 0 {
			want = ErrVersion
		}
		if !errors.Is(err, want) || e != nil {
			t.Fatalf("DecodeEntry(byte %d flipped) = %v, %v; want nil, %v", i, e, err, want)
		}
	}
}

func TestFollows(t *testing.T) {
	id := testIdentity(t, 0)
	first := mustEntry(t, id, testDraft())
	d := testDraft()
	d.Seq, d.Prev = 2, first.Hash()
	second := mustEntry(t, id, d)
	tests := []struct {
		name     string
		e        *Entry
		prevSeq  uint64
		prevHash Hash
		want     error
	}{
		{"first entry", first, 0, Hash{}, nil},
		{"second after first", second, 1, first.Hash(), nil},
		{"first after something", first, 1, first.Hash(), ErrSeqGap},
		{"gap", second, 0, Hash{}, ErrSeqGap},
		{"replay", second, 2, second.Hash(), ErrSeqGap},
		{"wrong prev", second, 1, Hash{9}, ErrBrokenChain},
		{"max prev seq", second, ^uint64(0), Hash{}, ErrSeqGap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Follows(tt.prevSeq, tt.prevHash)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Follows(%d, %s) = %v, want %v", tt.prevSeq, tt.prevHash.Short(), err, tt.want)
			}
		})
	}
}

func TestHashText(t *testing.T) {
	h := Hash{0xab, 0x01}
	s := h.String()
	if len(s) != 64 || !strings.HasPrefix(s, "ab01") || h.Short() != "ab0100000000" {
		t.Errorf("String %q Short %q", s, h.Short())
	}
	got, err := ParseHash(s)
	if err != nil || got != h {
		t.Errorf("ParseHash(String) = %v, %v", got, err)
	}
	for _, bad := range []string{"", s[:62], strings.ToUpper(s), s + "00", "zz" + s[2:]} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) succeeded", bad)
		}
	}
	var u Hash
	if err := u.UnmarshalText([]byte(s)); err != nil || u != h {
		t.Errorf("UnmarshalText = %v, %v", u, err)
	}
}

func TestEntryLogValue(t *testing.T) {
	e := mustEntry(t, testIdentity(t, 0), testDraft())
	s := e.LogValue().String()
	for _, want := range []string{"seq=1", "type=notice", e.Author.Fingerprint()} {
		if !strings.Contains(s, want) {
			t.Errorf("LogValue %q lacks %q", s, want)
		}
	}
	if strings.Contains(s, "not really") {
		t.Errorf("LogValue %q leaks the payload", s)
	}
}

// flip returns a copy of b with byte i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// withAuthor returns a copy of b claiming another author.
func withAuthor(b []byte, author [32]byte) []byte {
	c := bytes.Clone(b)
	copy(c[offAuthor:], author[:])
	return c
}

// codes returns n distinct ascending two-letter codes.
func codes(n int) []string {
	var cs []string
	for i := range n {
		cs = append(cs, string([]byte{'A' + byte(i/26), 'A' + byte(i%26)}))
	}
	return cs
}

func BenchmarkDecodeEntry(b *testing.B) {
	d := testDraft()
	d.Ciphertext = bytes.Repeat([]byte{7}, 1024)
	raw := mustEntry(b, testIdentity(b, 0), d).Bytes()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := DecodeEntry(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewEntry(b *testing.B) {
	id := testIdentity(b, 0)
	d := testDraft()
	d.Ciphertext = bytes.Repeat([]byte{7}, 1024)
	for b.Loop() {
		if _, err := NewEntry(id, d); err != nil {
			b.Fatal(err)
		}
	}
}
