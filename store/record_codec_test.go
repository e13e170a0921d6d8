package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kpnode/kpnode/protocol"
)

// batchBody is a batch-like record body of n certificate rows, as an
// import stores them: repetitive JSON that compresses well.
func batchBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"certificate","items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"number":"IN%07d","issuer":"IN","issued":"2026-%02d-%02d","exporter":{"name":"Example Exports Pvt Ltd","licence":"GJEPC/KP/2026/%05d"},`+
			`"importer":{"name":"Example Diamonds BV","licence":"FOD-DIA-%06d"},"destination":"BE","origin":"MIXED","lines":[{"hs_code":"7102.31","carats":"%d.35","value_usd":"%d.50"}]}`,
			i, 1+i%12, 1+i%28, i%90000, i, 100+i*7%3000, 15000+i*31%400000)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// noise is n bytes that do not compress.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// rawRecordValue is value v of a record with its body as it is
// (encoding 1 or 2), as layouts 1 and 2 stored every record.
func rawRecordValue(tb testing.TB, v []byte) []byte {
	tb.Helper()
	var r StoredRecord
	if err := decodeRecord(v, &r); err != nil {
		tb.Fatal(err)
	}
	return recordValue(recordEncodingOf(r.Salt != nil, false), r.Time, r.Type, r.Salt, r.Body)
}

// recordValue assembles a record value from its parts, whatever they are.
func recordValue(enc byte, t time.Time, typ string, salt, body []byte) []byte {
	b := append([]byte{enc}, appendTime(nil, t)...)
	b = append(b, byte(len(typ)))
	b = append(b, typ...)
	b = append(b, salt...)
	return append(b, body...)
}

// storedValue returns the raw value under key.
func (s *Store) storedValue(tb testing.TB, key []byte) []byte {
	tb.Helper()
	v, ok := s.rawKeys(tb)[string(key)]
	if !ok {
		tb.Fatalf("no value under %x", key)
	}
	return []byte(v)
}

// TestRecordBodyCompressed: a body that shrinks is stored compressed
// (encoding 3 without a salt, 4 with one), one that does not is stored as
// it is (1, 2); every one reads back byte for byte, by Record and by
// Records.
func TestRecordBodyCompressed(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	salt := bytes.Repeat([]byte{7}, protocol.SaltSize)
	cases := []struct {
		name string
		body []byte
		salt []byte
		enc  byte
	}{
		{"batch with salt", batchBody(200), salt, recordEncodingSaltedZstd},
		{"batch without salt", batchBody(20), nil, recordEncodingZstd},
		{"tiny", []byte(`{}`), salt, recordEncodingSalted},
		{"noise", noise(4096, 1), nil, recordEncoding},
		{"empty", []byte{}, salt, recordEncodingSalted},
	}
	for _, tc := range cases {
		e := c.next("batch", 64)
		if err := s.Append(e, &Record{Body: tc.body, Salt: tc.salt}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v := s.storedValue(t, recordKey(c.author(), e.Seq))
		if v[0] != tc.enc {
			t.Errorf("%s: stored with encoding %d, want %d", tc.name, v[0], tc.enc)
		}
		if tc.enc >= recordEncodingZstd && len(v) > len(tc.body)/5 {
			t.Errorf("%s: %d-byte body stored in %d bytes, want at most a fifth", tc.name, len(tc.body), len(v))
		}
		r, err := s.Record(c.author(), e.Seq)
		if err != nil || !bytes.Equal(r.Body, tc.body) || !bytes.Equal(r.Salt, tc.salt) || r.Type != "batch" {
			t.Errorf("%s: read back %+v, %v", tc.name, r, err)
		}
	}
	listed, err := s.Records(RecordQuery{})
	if err != nil || len(listed) != len(cases) {
		t.Fatalf("Records = %d records, %v", len(listed), err)
	}
	for i, r := range listed { // newest first
		if tc := cases[len(cases)-1-i]; !bytes.Equal(r.Body, tc.body) {
			t.Errorf("Records lists %s with another body", tc.name)
		}
	}
}

// TestRecordEncodingRoundTrip: for bodies of every size from empty to
// past a batch, repetitive or not, the value is never larger than the
// body stored as it is, and decodes to the same record.
func TestRecordEncodingRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 5)
	rows := batchBody(3000)
	for _, size := range []int{0, 1, 2, 15, 16, 17, 64, 100, 255, 256, 1000, 4095, 65536, 1 << 20, len(rows)} {
		for i, body := range [][]byte{rows[:min(size, len(rows))], noise(size, uint64(size)), bytes.Repeat([]byte{'a'}, size)} {
			for _, salt := range [][]byte{nil, bytes.Repeat([]byte{byte(i)}, protocol.SaltSize)} {
				rec := &Record{Type: "certificate", Body: body, Salt: salt}
				v := encodeRecord(now, rec)
				if len(v) > recordSize(rec) {
					t.Errorf("size %d body %d: value of %d bytes, as it is %d", size, i, len(v), recordSize(rec))
				}
				var r StoredRecord
				if err := decodeRecord(v, &r); err != nil || !bytes.Equal(r.Body, body) || !bytes.Equal(r.Salt, salt) ||
					!r.Time.Equal(now) || r.Type != rec.Type {
					t.Fatalf("size %d body %d: decoded %v, %v", size, i, r.Time, err)
				}
			}
		}
	}
}

// zstdFrame compresses n zero bytes into one frame: with its size in the
// header (EncodeAll), or streamed without it.
func zstdFrame(tb testing.TB, n int, sized bool) []byte {
	tb.Helper()
	if sized {
		enc, _ := zstd.NewWriter(nil)
		return enc.EncodeAll(make([]byte, n), nil)
	}
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithWindowSize(1<<20))
	if err != nil {
		tb.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zero))
		enc.Write(zero[:k])
		n -= k
	}
	if err := enc.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestRecordBombRefused: a damaged or hostile store hands the reader a
// compressed body that claims too much, decodes to more than it claims,
// to less, or not at all. Each read fails with ErrCorrupt naming the
// record, allocating little whatever the frame would expand to, and
// Verify reports it.
func TestRecordBombRefused(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	withLen := func(n uint64, frame []byte) []byte { return append(binary.AppendUvarint(nil, n), frame...) }
	bodies := []struct {
		name string
		body []byte
	}{
		{"claims more than a record holds", withLen(maxRecordBody+1, zstdFrame(t, 10, true))},
		{"claims a terabyte", withLen(1<<40, zstdFrame(t, 10, true))},
		{"sized frame of 64 MiB claims 100 bytes", withLen(100, zstdFrame(t, 64<<20, true))},
		{"streamed frame of 64 MiB claims 100 bytes", withLen(100, zstdFrame(t, 64<<20, false))},
		{"streamed frame of 64 MiB claims the most", withLen(maxRecordBody, zstdFrame(t, 64<<20, false))},
		{"frame holds less than claimed", withLen(50, zstdFrame(t, 10, true))},
		{"no length", nil},
		{"zero length", withLen(0, nil)},
		{"not a frame", withLen(10, []byte("not zstd at all"))},
	}
	for _, b := range bodies {
		e := c.next("notice", 64)
		if err := s.Append(e, &Record{Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if err := s.setKey(recordKey(c.author(), e.Seq), recordValue(recordEncodingZstd, e.Time, "notice", nil, b.body)); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := s.Record(c.author(), e.Seq)
		runtime.ReadMemStats(&after)
		wantErr(t, err, ErrCorrupt)
		if name := fmt.Sprintf("%s #%d", c.author(), e.Seq); !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name %s", b.name, err, name)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxRecordBody+1<<20 {
			t.Errorf("%s: reading it allocated %d bytes", b.name, alloc)
		}
	}
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []Problem
	for seq := range uint64(len(bodies)) {
		want = append(want, Problem{Author: c.author(), Seq: seq + 1, Kind: ProblemRecord})
	}
	wantProblems(t, rep, want...)
}

// TestRecordListingNamesDamage: a listing that meets a damaged record
// fails naming it.
func TestRecordListingNamesDamage(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	appendAll(t, s, c.build(3, "notice"), true)
	if err := s.setKey(recordKey(c.author(), 2), recordValue(recordEncodingZstd, time.Now(), "notice", nil, []byte{9, 1, 2})); err != nil {
		t.Fatal(err)
	}
	_, err := s.Records(RecordQuery{})
	wantErr(t, err, ErrCorrupt)
	if name := fmt.Sprintf("%s #2", c.author()); !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name %s", err, name)
	}
}

// TestVerifyFindsDamagedCompressedBody: a compressed body carries zstd's
// checksum, so Verify finds a byte of it changed (a body stored as it is
// cannot be checked: the store does not sign records).
func TestVerifyFindsDamagedCompressedBody(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	e := c.next("batch", 64)
	if err := s.Append(e, &Record{Body: batchBody(100)}); err != nil {
		t.Fatal(err)
	}
	key := recordKey(c.author(), e.Seq)
	v := s.storedValue(t, key)
	if v[0] != recordEncodingZstd {
		t.Fatalf("stored with encoding %d", v[0])
	}
	for _, at := range []int{len(v) / 2, len(v) - 1} {
		damaged := bytes.Clone(v)
		damaged[at] ^= 0x10
		if err := s.setKey(key, damaged); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		wantProblems(t, rep, Problem{Author: c.author(), Seq: e.Seq, Kind: ProblemRecord})
	}
}

// BenchmarkRecordCodec compresses and decompresses a record body of the
// catch-up's size (1 KiB) and a full batch (1 MiB of certificate rows),
// reporting the stored size as a share of the body.
func BenchmarkRecordCodec(b *testing.B) {
	rows := batchBody(3200)
	for _, size := range []int{1 << 10, protocol.MaxBodySize} {
		rec := &Record{Type: "batch", Body: rows[:size], Salt: make([]byte, protocol.SaltSize)}
		v := encodeRecord(time.Now(), rec)
		b.Run(fmt.Sprintf("encode/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				encodeRecord(time.Now(), rec)
			}
			b.ReportMetric(float64(len(v))/float64(recordSize(rec)), "stored/raw")
		})
		b.Run(fmt.Sprintf("decode/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			var r StoredRecord
			for b.Loop() {
				if err := decodeRecord(v, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
