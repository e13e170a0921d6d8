package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// wire concatenates frame fields: a byte, uint16, uint32 or uint64 in
// big-endian, or raw bytes.
func wire(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case byte:
			b = append(b, v)
		case FrameType:
			b = append(b, byte(v))
		case uint16:
			b = binary.BigEndian.AppendUint16(b, v)
		case uint32:
			b = binary.BigEndian.AppendUint32(b, v)
		case uint64:
			b = binary.BigEndian.AppendUint64(b, v)
		case []byte:
			b = append(b, v...)
		case string:
			b = append(b, v...)
		default:
			panic("wire: unsupported part")
		}
	}
	return b
}

// rangeWire encodes a range without checking it.
func rangeWire(n int, from, to uint64) []byte {
	k := key(n)
	return wire(k[:], from, to)
}

func TestDecodeFrameErrors(t *testing.T) {
	r0 := mustReceipt(t, 1, key(0), 1, Hash{1}).Bytes()
	r1 := mustReceipt(t, 1, key(1), 0, Hash{}).Bytes()
	byOther := mustReceipt(t, 2, key(2), 0, Hash{}).Bytes()
	raw := validRawReceipt(t)
	raw.seq = 0
	seq0WithHash := raw.sign(1)
	raw = validRawReceipt(t)
	raw.version = 2
	version2 := raw.sign(1)
	ok := rangeWire(1, 1, 5)
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string // the whole message, or a part of it
	}{
		{"empty", nil, ErrTruncated, "decode frame: truncated: no type byte"},
		{"type 0", wire(byte(0)), ErrUnknownFrame, "decode frame: unknown frame type 0"},
		{"type 6", wire(byte(6), uint16(0)), ErrUnknownFrame, "unknown frame type 6"},
		{"type 255", wire(byte(255)), ErrUnknownFrame, "unknown frame type 255"},
		{"oversize", make([]byte, 1+MaxFrameSize+1), ErrTooLarge, "decode frame: too large: 4259842 bytes, limit 4259841"},

		{"hello count over limit", wire(FrameHello, uint16(MaxHelloReceipts+1)), ErrTooLarge,
			"decode hello frame: too large: 1025 receipts, limit 1024"},
		{"hello count past end", wire(FrameHello, uint16(2), r0), ErrTruncated, "2 receipts need at least 354 bytes, 177 left"},
		{"hello bad receipt signature", wire(FrameHello, uint16(2), r0, flip(r1, 100)), ErrBadSignature,
			"decode hello frame: receipt 1: bad signature"},
		{"hello receipt version", wire(FrameHello, uint16(1), version2), ErrVersion, "receipt 0: unsupported version: 2"},
		{"hello malformed receipt", wire(FrameHello, uint16(2), r0, seq0WithHash), ErrMalformed,
			"receipt 1: malformed: seq 0 with non-zero hash"},
		{"hello two signers", wire(FrameHello, uint16(2), r0, byOther), ErrMalformed, "receipt 1: malformed: signer differs"},
		{"hello feed twice", wire(FrameHello, uint16(2), r0, r0), ErrMalformed, "receipt 1: malformed: second receipt for feed"},
		{"hello trailing", wire(FrameHello, uint16(1), r0, byte(0)), ErrMalformed, "decode hello frame: malformed: 1 trailing bytes"},

		{"want count over limit", wire(FrameWant, uint16(MaxWantRanges+1)), ErrTooLarge, "1025 ranges, limit 1024"},
		{"want count past end", wire(FrameWant, uint16(2), ok), ErrTruncated, "2 ranges need at least 96 bytes, 48 left"},
		{"want from 0", wire(FrameWant, uint16(4), ok, ok, ok, rangeWire(2, 0, 5)), ErrMalformed,
			"decode want frame: range 3: malformed: from 0"},
		{"want from 0 to 0", wire(FrameWant, uint16(1), rangeWire(2, 0, 0)), ErrMalformed, "range 0: malformed: from 0"},
		{"want from after to", wire(FrameWant, uint16(2), ok, rangeWire(2, 6, 5)), ErrMalformed,
			"decode want frame: range 1: malformed: from 6 > to 5"},
		{"want trailing", wire(FrameWant, uint16(1), ok, byte(0)), ErrMalformed, "1 trailing bytes"},
		{"want half a range", wire(FrameWant, uint16(1), ok[:47]), ErrTruncated, "1 ranges need at least 48 bytes, 47 left"},

		{"entries none", wire(FrameEntries, uint16(0)), ErrMalformed, "decode entries frame: malformed: no entries"},
		{"entries count over limit", wire(FrameEntries, uint16(MaxEntriesPerFrame+1)), ErrTooLarge, "4097 entries, limit 4096"},
		{"entries count past end", wire(FrameEntries, uint16(3), uint32(1), byte(1)), ErrTruncated, "3 entries need at least 12 bytes"},
		{"entry empty", wire(FrameEntries, uint16(2), uint32(1), byte(1), uint32(0), uint32(0)), ErrMalformed,
			"decode entries frame: entry 1: malformed: empty"},
		{"entry over limit", wire(FrameEntries, uint16(1), uint32(MaxEntrySize+1)), ErrTooLarge,
			"entry 0: too large: 4194305 bytes, limit 4194304"},
		{"entry length huge", wire(FrameEntries, uint16(1), uint32(1<<32-1)), ErrTooLarge, "entry 0: too large"},
		{"entry past end", wire(FrameEntries, uint16(1), uint32(3), []byte{1, 2}), ErrTruncated,
			"decode entries frame: entry 0: truncated: field at offset 6 needs 3 bytes, 2 left"},
		{"entries trailing", wire(FrameEntries, uint16(1), uint32(1), byte(1), byte(0)), ErrMalformed, "1 trailing bytes"},

		{"end with payload", wire(FrameEnd, byte(0)), ErrMalformed, "decode end frame: malformed: 1 trailing bytes"},

		{"message over limit", wire(FrameError, uint16(1), uint16(MaxSyncErrorMessage+1), strings.Repeat("x", 1025)), ErrTooLarge,
			"decode error frame: too large: message of 1025 bytes, limit 1024"},
		{"message past end", wire(FrameError, uint16(1), uint16(5), "busy"), ErrTruncated, "needs 5 bytes, 4 left"},
		{"message not UTF-8", wire(FrameError, uint16(1), uint16(2), []byte{0xc3, 0x28}), ErrMalformed, "not UTF-8"},
		{"message newline", wire(FrameError, uint16(1), uint16(3), "a\nb"), ErrMalformed, "control character U+000A in message at byte 1"},
		{"message DEL", wire(FrameError, uint16(1), uint16(1), "\x7f"), ErrMalformed, "U+007F"},
		{"message C1 control", wire(FrameError, uint16(1), uint16(2), "\u0085"), ErrMalformed, "U+0085"},
		{"error without code", wire(FrameError, byte(0)), ErrTruncated, "decode error frame: truncated"},
		{"error trailing", wire(FrameError, uint16(1), uint16(1), "x", byte(0)), ErrMalformed, "1 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeFrame(tt.in)
			if !errors.Is(err, tt.want) || f != nil {
				t.Fatalf("DecodeFrame = %v, %v; want nil, %v", f, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
}

// otherFrame is a Frame this package does not know.
type otherFrame struct{}

func (otherFrame) Type() FrameType { return FrameEnd }

func TestEncodeFrameErrors(t *testing.T) {
	r := mustReceipt(t, 1, key(0), 1, Hash{1})
	var tooMany []*Receipt
	for range MaxHelloReceipts + 1 {
		tooMany = append(tooMany, r)
	}
	tests := []struct {
		name string
		f    Frame
		want error
		msg  string
	}{
		{"nil", nil, ErrUnknownFrame, "encode frame: unknown frame type: <nil>"},
		{"foreign frame", otherFrame{}, ErrUnknownFrame, "protocol.otherFrame"},
		{"nil hello", (*Hello)(nil), ErrMalformed, "encode hello frame: malformed: nil frame"},
		{"nil want", (*Want)(nil), ErrMalformed, "nil frame"},
		{"nil entries", (*Entries)(nil), ErrMalformed, "nil frame"},
		{"nil error", (*SyncError)(nil), ErrMalformed, "nil frame"},
		{"hello over limit", &Hello{Receipts: tooMany}, ErrTooLarge, "encode hello frame: too large: 1025 receipts, limit 1024"},
		{"hello nil receipt", &Hello{Receipts: []*Receipt{r, nil}}, ErrMalformed, "receipt 1: malformed: not made by NewReceipt"},
		{"hello literal receipt", &Hello{Receipts: []*Receipt{{Seq: 1, Hash: Hash{1}}}}, ErrMalformed, "receipt 0: malformed"},
		{"hello two signers", &Hello{Receipts: []*Receipt{r, mustReceipt(t, 2, key(1), 0, Hash{})}}, ErrMalformed, "signer differs"},
		{"hello feed twice", &Hello{Receipts: []*Receipt{r, mustReceipt(t, 1, key(0), 2, Hash{2})}}, ErrMalformed, "second receipt"},
		{"want over limit", &Want{Ranges: make([]Range, MaxWantRanges+1)}, ErrTooLarge, "1025 ranges, limit 1024"},
		{"want from 0", &Want{Ranges: []Range{{From: 1, To: 1}, {From: 0, To: 3}}}, ErrMalformed,
			"encode want frame: range 1: malformed: from 0"},
		{"want from after to", &Want{Ranges: []Range{{From: 4, To: 3}}}, ErrMalformed, "range 0: malformed: from 4 > to 3"},
		{"entries none", &Entries{}, ErrMalformed, "encode entries frame: malformed: no entries"},
		{"entries over limit", &Entries{Entries: make([][]byte, MaxEntriesPerFrame+1)}, ErrTooLarge, "4097 entries, limit 4096"},
		{"entry empty", &Entries{Entries: [][]byte{{1}, {}}}, ErrMalformed, "entry 1: malformed: empty"},
		{"entry over limit", &Entries{Entries: [][]byte{make([]byte, MaxEntrySize+1)}}, ErrTooLarge, "entry 0: too large"},
		{"payload over limit", &Entries{Entries: [][]byte{make([]byte, MaxEntrySize), make([]byte, MaxFrameSize-2-4-MaxEntrySize-4+1)}},
			ErrTooLarge, "encode entries frame: too large: payload of 4259841 bytes, limit 4259840"},
		{"message over limit", &SyncError{Message: strings.Repeat("x", MaxSyncErrorMessage+1)}, ErrTooLarge, "message of 1025 bytes"},
		{"message not UTF-8", &SyncError{Message: "\xff"}, ErrMalformed, "not UTF-8"},
		{"message tab", &SyncError{Message: "a\tb"}, ErrMalformed, "U+0009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeFrame(tt.f)
			if !errors.Is(err, tt.want) || b != nil {
				t.Fatalf("EncodeFrame = %x, %v; want nil, %v", b, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestNewSyncError(t *testing.T) {
	long := strings.Repeat("x", MaxSyncErrorMessage-1) + "é and more"
	tests := []struct{ in, want string }{
		{"busy", "busy"},
		{"", ""},
		{"line one\nline two\ttab\x00", "line one line two tab "},
		{"bad \xff byte", "bad \uFFFD byte"},
		{long, strings.Repeat("x", MaxSyncErrorMessage-1)},
		{strings.Repeat("€", 400), strings.Repeat("€", MaxSyncErrorMessage/3)},
	}
	for _, tt := range tests {
		e := NewSyncError(SyncCodeInternal, tt.in)
		if e.Message != tt.want || e.Code != SyncCodeInternal {
			t.Errorf("NewSyncError(%q) = %q, want %q", tt.in, e.Message, tt.want)
		}
		if !utf8.ValidString(e.Message) || len(e.Message) > MaxSyncErrorMessage {
			t.Errorf("NewSyncError(%q) made an invalid message", tt.in)
		}
		if _, err := EncodeFrame(e); err != nil {
			t.Errorf("NewSyncError(%q) does not encode: %v", tt.in, err)
		}
	}
}

func TestFrameSizeLimitsAreConsistent(t *testing.T) {
	if 2+4+MaxEntrySize > MaxFrameSize {
		t.Error("an entry of MaxEntrySize does not fit in one frame")
	}
	for name, size := range map[string]int{
		"hello": 2 + MaxHelloReceipts*ReceiptSize,
		"want":  2 + MaxWantRanges*rangeSize,
		"error": 2 + 2 + MaxSyncErrorMessage,
	} {
		if size > MaxFrameSize {
			t.Errorf("largest %s frame (%d bytes) exceeds MaxFrameSize", name, size)
		}
	}
	if got := wire(FrameWant, uint16(1), rangeWire(1, 1, 2)); !bytes.Equal(got, mustEncode(t, &Want{Ranges: []Range{{key(1), 1, 2}}})) {
		t.Error("test helper wire disagrees with EncodeFrame")
	}
}

// TestWantRangesMustNotOverlap: a Want whose ranges share an entry is
// refused by the encoder and the decoder alike; adjacent ranges and equal
// ranges of different feeds are not overlaps.
func TestWantRangesMustNotOverlap(t *testing.T) {
	a, b := testIdentity(t, 0).Public(), testIdentity(t, 1).Public()
	cases := []struct {
		name    string
		ranges  []Range
		overlap bool
	}{
		{"adjacent", []Range{{a, 1, 8}, {a, 9, 16}}, false},
		{"same range, two feeds", []Range{{a, 1, 8192}, {b, 1, 8192}}, false},
		{"copies of one range", []Range{{a, 1, 8192}, {b, 1, 2}, {a, 1, 8192}}, true},
		{"inside another, out of order", []Range{{a, 100, 200}, {a, 1, 1000}}, true},
		{"one entry shared", []Range{{a, 1, 5}, {a, 5, 9}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := EncodeFrame(&Want{Ranges: c.ranges})
			if got := errors.Is(err, ErrOverlap); got != c.overlap {
				t.Fatalf("EncodeFrame: %v, want overlap %v", err, c.overlap)
			}
			if c.overlap && !errors.Is(err, ErrMalformed) {
				t.Fatalf("an overlap is not malformed: %v", err)
			}
			raw := []byte{byte(FrameWant), 0, byte(len(c.ranges))}
			for _, r := range c.ranges {
				raw = append(raw, r.Feed[:]...)
				raw = binary.BigEndian.AppendUint64(raw, r.From)
				raw = binary.BigEndian.AppendUint64(raw, r.To)
			}
			f, err := DecodeFrame(raw)
			if got := errors.Is(err, ErrOverlap); got != c.overlap || (c.overlap && f != nil) {
				t.Fatalf("DecodeFrame = %v, %v; want overlap %v", f, err, c.overlap)
			}
		})
	}
}
