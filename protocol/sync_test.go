package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
)

// key returns a distinct feed key for n.
func key(n int) crypto.PublicKey { return crypto.PublicKey{byte(n >> 8), byte(n), 0xfe} }

// testHello returns identity 1's heads: identity 0's feed up to seq 2 and
// nothing yet of its own.
func testHello(t testing.TB) *Hello {
	return &Hello{Receipts: []*Receipt{
		mustReceipt(t, 1, testIdentity(t, 0).Public(), 2, Hash{0xe4}),
		mustReceipt(t, 1, testIdentity(t, 1).Public(), 0, Hash{}),
	}}
}

// testChain returns the wire bytes of entries 1..n of identity 0's feed,
// each with a ciphertext of size bytes.
func testChain(t testing.TB, n, size int) [][]byte {
	id, d := testIdentity(t, 0), testDraft()
	d.Ciphertext = bytes.Repeat([]byte{7}, size)
	var raws [][]byte
	for i := range n {
		d.Seq = uint64(i + 1)
		e := mustEntry(t, id, d)
		d.Prev = e.Hash()
		raws = append(raws, e.Bytes())
	}
	return raws
}

// validFrames returns one or more valid frames of every type.
func validFrames(t testing.TB) []Frame {
	return []Frame{
		testHello(t),
		&Hello{},
		&Want{Ranges: []Range{{Feed: key(1), From: 1, To: 1000}, {Feed: key(2), From: 7, To: 7}}},
		&Want{},
		&Entries{Entries: testChain(t, 3, 40)},
		&Entries{Entries: [][]byte{{0xaa}}},
		&End{},
		&SyncError{Code: SyncCodeBusy, Message: "busy: 16 sessions, retry in 30 s – merci"},
		&SyncError{},
	}
}

func mustEncode(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := EncodeFrame(f)
	if err != nil {
		t.Fatalf("EncodeFrame(%T): %v", f, err)
	}
	return b
}

func TestFrameRoundTrip(t *testing.T) {
	for _, f := range validFrames(t) {
		b := mustEncode(t, f)
		if FrameType(b[0]) != f.Type() {
			t.Errorf("%T: type byte %d, want %d", f, b[0], f.Type())
		}
		got, err := DecodeFrame(b)
		if err != nil {
			t.Fatalf("DecodeFrame(%T): %v", f, err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("DecodeFrame(EncodeFrame(%+v)) = %+v", f, got)
		}
		var buf bytes.Buffer
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatalf("WriteFrame(%T): %v", f, err)
		}
		if n := binary.BigEndian.Uint32(buf.Bytes()); int(n) != len(b) || !bytes.Equal(buf.Bytes()[4:], b) {
			t.Errorf("%T: WriteFrame wrote %x, want length %d and %x", f, buf.Bytes(), len(b), b)
		}
		got, err = ReadFrame(&buf)
		if err != nil || !reflect.DeepEqual(got, f) {
			t.Errorf("ReadFrame(%T) = %+v, %v", f, got, err)
		}
		if got, err := ReadFrame(&buf); err != io.EOF || got != nil {
			t.Errorf("ReadFrame at end of stream = %v, %v; want nil, io.EOF", got, err)
		}
	}
}

func TestFrameLayout(t *testing.T) {
	r := mustReceipt(t, 1, key(1), 0, Hash{})
	feed := key(1)
	tests := []struct {
		f    Frame
		want []byte
	}{
		{&Hello{Receipts: []*Receipt{r}}, cat([]byte{1, 0, 1}, r.Bytes())},
		{&Want{Ranges: []Range{{Feed: feed, From: 1, To: 1000}}},
			cat([]byte{2, 0, 1}, feed[:], []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x03, 0xe8})},
		{&Want{}, []byte{2, 0, 0}},
		{&Entries{Entries: [][]byte{{0xaa}, {0xbb, 0xcc}}}, []byte{3, 0, 2, 0, 0, 0, 1, 0xaa, 0, 0, 0, 2, 0xbb, 0xcc}},
		{&End{}, []byte{4}},
		{&SyncError{Code: 3, Message: "busy"}, []byte{5, 0, 3, 0, 4, 'b', 'u', 's', 'y'}},
	}
	for _, tt := range tests {
		if got := mustEncode(t, tt.f); !bytes.Equal(got, tt.want) {
			t.Errorf("EncodeFrame(%T) =\n%x\nwant\n%x", tt.f, got, tt.want)
		}
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestFrameLimitsAccepted(t *testing.T) {
	id := testIdentity(t, 1)
	hello := &Hello{}
	want := &Want{}
	for i := range MaxHelloReceipts {
		r, err := NewReceipt(id, key(i), uint64(i), Hash{byte(i), 1}, testTime)
		if i == 0 {
			r, err = NewReceipt(id, key(i), 0, Hash{}, testTime)
		}
		if err != nil {
			t.Fatal(err)
		}
		hello.Receipts = append(hello.Receipts, r)
		want.Ranges = append(want.Ranges, Range{Feed: key(i), From: 1, To: math.MaxUint64})
	}
	many := &Entries{}
	for range MaxEntriesPerFrame {
		many.Entries = append(many.Entries, []byte{1})
	}
	// One entry of MaxEntrySize and one filling the payload to MaxFrameSize.
	full := &Entries{Entries: [][]byte{make([]byte, MaxEntrySize), make([]byte, MaxFrameSize-2-4-MaxEntrySize-4)}}
	long := &SyncError{Code: math.MaxUint16, Message: strings.Repeat("é", MaxSyncErrorMessage/2)}
	for _, f := range []Frame{hello, want, many, full, long} {
		b := mustEncode(t, f)
		got, err := DecodeFrame(b)
		if err != nil || !reflect.DeepEqual(got, f) {
			t.Errorf("%T at its limits: DecodeFrame = %v", f, err)
		}
	}
	if n := len(mustEncode(t, full)); n != 1+MaxFrameSize {
		t.Errorf("full entries frame is %d bytes, want %d", n, 1+MaxFrameSize)
	}
}

func TestDecodeFrameTruncatedEverywhere(t *testing.T) {
	for _, f := range validFrames(t) {
		b := mustEncode(t, f)
		for n := range len(b) {
			got, err := DecodeFrame(b[:n])
			if !errors.Is(err, ErrTruncated) || got != nil {
				t.Fatalf("DecodeFrame(first %d of %d bytes of %T) = %v, %v; want nil, ErrTruncated", n, len(b), f, got, err)
			}
		}
	}
}

func TestDecodeFrameTrailingBytes(t *testing.T) {
	for _, f := range validFrames(t) {
		b := append(mustEncode(t, f), 0)
		got, err := DecodeFrame(b)
		if !errors.Is(err, ErrMalformed) || got != nil || !strings.Contains(err.Error(), "1 trailing bytes") {
			t.Errorf("DecodeFrame(%T with a trailing byte) = %v, %v; want nil, ErrMalformed", f, got, err)
		}
	}
}

func TestDecodeFrameCopiesInput(t *testing.T) {
	f := &Entries{Entries: testChain(t, 2, 40)}
	b := mustEncode(t, f)
	got, err := DecodeFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !reflect.DeepEqual(got, f) {
		t.Error("decoded entries share memory with the caller's buffer")
	}
}

// countingReader serves a 4-byte length and then zero bytes for ever,
// counting what it hands out.
type countingReader struct {
	prefix []byte
	read   int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n := copy(p, r.prefix[min(r.read, len(r.prefix)):])
	if n == 0 {
		clear(p)
		n = len(p)
	}
	r.read += n
	return n, nil
}

func TestReadFrameRefusesHugeLength(t *testing.T) {
	for _, n := range []uint32{math.MaxUint32, 1 << 31, 1 + MaxFrameSize + 1} {
		r := &countingReader{prefix: binary.BigEndian.AppendUint32(nil, n)}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		f, err := ReadFrame(r)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || f != nil {
			t.Fatalf("ReadFrame(length %d) = %v, %v; want nil, ErrTooLarge", n, f, err)
		}
		if r.read != 4 {
			t.Errorf("length %d: read %d bytes, want only the 4-byte prefix", n, r.read)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("length %d: allocated %d bytes before refusing", n, alloc)
		}
		if elapsed > time.Second {
			t.Errorf("length %d: took %v to refuse", n, elapsed)
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	boom := errors.New("stream reset")
	tests := []struct {
		name string
		r    io.Reader
		want []error
		msg  string
	}{
		{"largest length read in full", io.LimitReader(&countingReader{prefix: []byte{0, 0x41, 0, 1}}, 1000), []error{ErrTruncated, io.ErrUnexpectedEOF}, "truncated"},
		{"end inside the length", bytes.NewReader([]byte{0, 0}), []error{ErrTruncated, io.ErrUnexpectedEOF}, "read frame: "},
		{"end right after the length", bytes.NewReader([]byte{0, 0, 0, 1}), []error{ErrTruncated, io.ErrUnexpectedEOF}, "read frame: "},
		{"end inside the frame", bytes.NewReader([]byte{0, 0, 0, 3, 2, 0}), []error{ErrTruncated, io.ErrUnexpectedEOF}, "read frame: "},
		{"zero length", bytes.NewReader([]byte{0, 0, 0, 0}), []error{ErrTruncated}, "no type byte"},
		{"unknown type", bytes.NewReader([]byte{0, 0, 0, 1, 9}), []error{ErrUnknownFrame}, "9"},
		{"reader error", io.MultiReader(bytes.NewReader([]byte{0, 0, 0, 2, 4}), &errReader{boom}), []error{boom}, "stream reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFrame(tt.r)
			if f != nil || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("ReadFrame = %v, %v; want nil and an error containing %q", f, err, tt.msg)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q is not %v", err, w)
				}
			}
		})
	}
}

func TestMaxFrameSize(t *testing.T) {
	if 1+MaxFrameSize != 0x00410001 {
		t.Fatalf("1+MaxFrameSize = %#x; TestReadFrameErrors assumes 0x410001", 1+MaxFrameSize)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// recordingWriter records each Write call.
type recordingWriter struct {
	writes [][]byte
	err    error
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), w.err
}

func TestWriteFrame(t *testing.T) {
	f := &Entries{Entries: testChain(t, 5, 100)}
	w := &recordingWriter{}
	if err := WriteFrame(w, f); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 1 {
		t.Fatalf("WriteFrame made %d Write calls, want 1", len(w.writes))
	}
	if want := binary.BigEndian.AppendUint32(nil, uint32(len(mustEncode(t, f)))); !bytes.Equal(w.writes[0][:4], want) {
		t.Errorf("length prefix %x, want %x", w.writes[0][:4], want)
	}

	w = &recordingWriter{}
	if err := WriteFrame(w, &Want{Ranges: []Range{{From: 0, To: 1}}}); !errors.Is(err, ErrMalformed) || len(w.writes) != 0 {
		t.Errorf("WriteFrame(bad want) = %v after %d writes; want ErrMalformed and none", err, len(w.writes))
	}

	boom := errors.New("stream reset")
	w = &recordingWriter{err: boom}
	if err := WriteFrame(w, &End{}); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "write end frame: ") {
		t.Errorf("WriteFrame to a failing writer = %v", err)
	}
}

func TestWantFor(t *testing.T) {
	type heads = map[crypto.PublicKey]uint64
	all := func(crypto.PublicKey) bool { return true }
	not2 := func(k crypto.PublicKey) bool { return k != key(2) }
	tests := []struct {
		name          string
		local, remote heads
		accept        func(crypto.PublicKey) bool
		max           uint64
		want          []Range
	}{
		{"nothing anywhere", nil, nil, all, 1000, nil},
		{"remote has nothing", heads{key(1): 5}, nil, all, 1000, nil},
		{"equal", heads{key(1): 5}, heads{key(1): 5}, all, 1000, nil},
		{"remote behind", heads{key(1): 5}, heads{key(1): 4}, all, 1000, nil},
		{"remote ahead", heads{key(1): 5}, heads{key(1): 9}, all, 1000, []Range{{key(1), 6, 9}}},
		{"feed new to us", nil, heads{key(1): 3}, all, 1000, []Range{{key(1), 1, 3}}},
		{"capped", heads{key(1): 5}, heads{key(1): 5000}, all, 1000, []Range{{key(1), 6, 1005}}},
		{"exactly the cap", heads{key(1): 5}, heads{key(1): 1005}, all, 1000, []Range{{key(1), 6, 1005}}},
		{"cap of one", nil, heads{key(1): 5}, all, 1, []Range{{key(1), 1, 1}}},
		{"no cap", nil, heads{key(1): math.MaxUint64}, all, 0, []Range{{key(1), 1, math.MaxUint64}}},
		{"cap near the top", heads{key(1): math.MaxUint64 - 1}, heads{key(1): math.MaxUint64}, all, math.MaxUint64,
			[]Range{{key(1), math.MaxUint64, math.MaxUint64}}},
		{"cap without overflow", heads{key(1): 10}, heads{key(1): math.MaxUint64}, all, math.MaxUint64 - 20,
			[]Range{{key(1), 11, math.MaxUint64 - 10}}},
		{"not accepted", nil, heads{key(1): 3, key(2): 3, key(3): 1}, not2, 1000, []Range{{key(1), 1, 3}, {key(3), 1, 1}}},
		{"nil accepts all", nil, heads{key(2): 3}, nil, 1000, []Range{{key(2), 1, 3}}},
		{"sorted by key bytes", heads{key(300): 1, key(2): 9},
			heads{key(300): 2, key(1): 1, key(2): 10, key(256): 4, key(3): 0},
			all, 1000, []Range{{key(1), 1, 1}, {key(2), 10, 10}, {key(256), 1, 4}, {key(300), 2, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WantFor(tt.local, tt.remote, tt.accept, tt.max)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WantFor = %v, want %v", got, tt.want)
			}
			if _, err := EncodeFrame(&Want{Ranges: got}); err != nil {
				t.Errorf("WantFor's ranges do not encode: %v", err)
			}
		})
	}
}

func TestWantForManyFeeds(t *testing.T) {
	remote := map[crypto.PublicKey]uint64{}
	for i := range MaxWantRanges + 10 {
		remote[key(i)] = 1
	}
	got := WantFor(nil, remote, nil, WantBatch)
	if len(got) != MaxWantRanges || got[0].Feed != key(0) || got[len(got)-1].Feed != key(MaxWantRanges-1) {
		t.Fatalf("WantFor over %d feeds gave %d ranges, %v .. %v", len(remote), len(got), got[0], got[len(got)-1])
	}
	if _, err := EncodeFrame(&Want{Ranges: got}); err != nil {
		t.Errorf("WantFor's ranges do not encode: %v", err)
	}
}

func TestFrameTypeString(t *testing.T) {
	want := map[FrameType]string{FrameHello: "hello", FrameWant: "want", FrameEntries: "entries",
		FrameEnd: "end", FrameError: "error", 0: "type 0", 200: "type 200"}
	for ft, s := range want {
		if ft.String() != s {
			t.Errorf("FrameType(%d).String() = %q, want %q", uint8(ft), ft.String(), s)
		}
	}
}

func TestSyncErrorIsError(t *testing.T) {
	var err error = &SyncError{Code: SyncCodeRefused, Message: "not a partner"}
	var se *SyncError
	if !errors.As(err, &se) || err.Error() != "sync error 2: not a partner" {
		t.Errorf("SyncError as error: %q", err)
	}
}

// FuzzDecodeFrame checks that DecodeFrame never panics, returns nil with
// every error, and that a decoded frame encodes back to exactly its input,
// also through WriteFrame and ReadFrame.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range validFrames(f) {
		f.Add(mustEncode(f, fr))
	}
	files, _ := filepath.Glob("testdata/frame_*.hex")
	for _, name := range files {
		f.Add(readHex(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if fr != nil {
				t.Fatalf("frame %v returned with error %v", fr, err)
			}
			return
		}
		again, err := EncodeFrame(fr)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("EncodeFrame(DecodeFrame(%x)) = %x, %v", b, again, err)
		}
		var buf bytes.Buffer
		if err := WriteFrame(&buf, fr); err != nil {
			t.Fatal(err)
		}
		if read, err := ReadFrame(&buf); err != nil || !reflect.DeepEqual(read, fr) {
			t.Fatalf("ReadFrame(WriteFrame(%v)) = %v, %v", fr, read, err)
		}
	})
}

func BenchmarkDecodeEntriesFrame(b *testing.B) {
	raws := testChain(b, 256, 1024)
	frame := mustEncode(b, &Entries{Entries: raws})
	b.Run("frame", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if _, err := DecodeFrame(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("frame+entries", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			f, err := DecodeFrame(frame)
			if err != nil {
				b.Fatal(err)
			}
			for _, raw := range f.(*Entries).Entries {
				if _, err := DecodeEntry(raw); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
