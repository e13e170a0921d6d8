package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// frameVector is the expected outcome of decoding testdata/frame_<name>.hex.
type frameVector struct {
	Description string          `json:"description"`
	Error       string          `json:"error,omitempty"` // key of frameVectorError; empty when valid
	Type        string          `json:"type,omitempty"`
	Receipts    []receiptVector `json:"receipts,omitempty"`
	Ranges      []rangeVector   `json:"ranges,omitempty"`
	Entries     []string        `json:"entries,omitempty"` // hashes of the entries' bytes
	Code        uint16          `json:"code,omitempty"`
	Message     string          `json:"message,omitempty"`
}

type rangeVector struct {
	Feed string `json:"feed"` // base64
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
}

// frameVectorError maps a vector's error key to the sentinel.
func frameVectorError(key string) (error, bool) {
	if key == "unknown_frame" {
		return ErrUnknownFrame, true
	}
	err, ok := vectorErrors[key]
	return err, ok
}

func TestFrameVectors(t *testing.T) {
	if *update {
		writeFrameVectors(t)
	}
	files, _ := filepath.Glob("testdata/frame_*.json")
	if len(files) < 8 {
		t.Fatalf("found %d frame vectors; run go test ./protocol -run TestFrameVectors -update", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var v frameVector
			if err := json.Unmarshal(readFile(t, "testdata/"+name+".json"), &v); err != nil {
				t.Fatal(err)
			}
			b := readHex(t, "testdata/"+name+".hex")
			fr, err := DecodeFrame(b)
			if v.Error != "" {
				if want, ok := frameVectorError(v.Error); !ok || !errors.Is(err, want) || fr != nil {
					t.Fatalf("DecodeFrame = %v, %v; want nil, %q", fr, err, v.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			got := describeFrame(fr)
			got.Description = v.Description
			if !reflect.DeepEqual(got, v) {
				t.Errorf("decoded\n%#v\nwant\n%#v", got, v)
			}
			if again := mustEncode(t, fr); !bytes.Equal(again, b) {
				t.Error("EncodeFrame does not give back the vector")
			}
		})
	}
}

func describeFrame(f Frame) frameVector {
	v := frameVector{Type: f.Type().String()}
	switch f := f.(type) {
	case *Hello:
		for _, r := range f.Receipts {
			v.Receipts = append(v.Receipts, describeReceipt(r))
		}
	case *Want:
		for _, r := range f.Ranges {
			v.Ranges = append(v.Ranges, rangeVector{Feed: r.Feed.String(), From: r.From, To: r.To})
		}
	case *Entries:
		for _, raw := range f.Entries {
			v.Entries = append(v.Entries, entryHash(raw).String())
		}
	case *SyncError:
		v.Code, v.Message = f.Code, f.Message
	}
	return v
}

// writeFrameVectors regenerates the frame vectors from the entry and
// receipt vectors.
func writeFrameVectors(t *testing.T) {
	first, second := readHex(t, "testdata/entry_valid.hex"), readHex(t, "testdata/entry_valid_seq2.hex")
	held := readHex(t, "testdata/receipt_valid.hex")
	own, err := NewReceipt(testIdentity(t, 1), testIdentity(t, 1).Public(), 0, Hash{}, testTime)
	if err != nil {
		t.Fatal(err)
	}
	hello := cat([]byte{1, 0, 2}, held, own.Bytes())
	want := mustEncode(t, &Want{Ranges: []Range{
		{Feed: testIdentity(t, 0).Public(), From: 1, To: 2},
		{Feed: testIdentity(t, 2).Public(), From: 1, To: 1000},
	}})
	wantFrom0 := bytes.Clone(want)
	binary.BigEndian.PutUint64(wantFrom0[3+32:], 0)
	wantOverlap := bytes.Clone(want) // range 1 becomes identity 0's 2..3
	copy(wantOverlap[3+rangeSize:], want[3:3+32])
	binary.BigEndian.PutUint64(wantOverlap[3+rangeSize+32:], 2)
	binary.BigEndian.PutUint64(wantOverlap[3+rangeSize+40:], 3)
	outcomes := []struct {
		name, desc, err string
		b               []byte
	}{
		{"hello", "identity 1's heads: receipt_valid and its own empty feed", "", hello},
		{"want", "identity 0's feed from 1 to 2, identity 2's from 1 to 1000", "", want},
		{"entries", "entry_valid and entry_valid_seq2", "", mustEncode(t, &Entries{Entries: [][]byte{first, second}})},
		{"end", "end of an answer", "", []byte{4}},
		{"error", "code 3 (busy)", "", mustEncode(t, &SyncError{Code: SyncCodeBusy, Message: "busy, retry later"})},
		{"hello_badsig", "frame_hello with receipt 1's seq byte inverted", "bad_signature", flip(hello, 3+ReceiptSize+rcptOffSeq+7)},
		{"want_from0", "frame_want with range 0's from set to 0", "malformed", wantFrom0},
		{"want_overlap", "frame_want with range 1 set to identity 0's feed 2..3: it overlaps range 0 (1..2)", "malformed", wantOverlap},
		{"entries_empty_entry", "entries frame with one entry of length 0", "malformed", []byte{3, 0, 1, 0, 0, 0, 0}},
		{"entries_count_too_large", "entries frame announcing 4097 entries", "too_large", []byte{3, 0x10, 0x01}},
		{"unknown_type", "frame of type 6", "unknown_frame", []byte{6}},
		{"end_trailing", "end frame with a payload byte", "malformed", []byte{4, 0}},
	}
	for _, o := range outcomes {
		v := frameVector{Description: o.desc, Error: o.err}
		if o.err == "" {
			f, err := DecodeFrame(o.b)
			if err != nil {
				t.Fatalf("%s: %v", o.name, err)
			}
			v = describeFrame(f)
			v.Description = o.desc
		}
		writeVectorFiles(t, "frame_"+o.name, o.b, v)
	}
}
