package store

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// storedValue is one kind of value the store keeps: its decoder, and the
// encoding of what the decoder returned.
type storedValue struct {
	name      string
	roundTrip func(v []byte) ([]byte, error)
}

// storedValues are the values the store reads back from disk: a damaged
// store hands their decoders arbitrary bytes.
var storedValues = []storedValue{
	{"audit", func(v []byte) ([]byte, error) {
		r, err := decodeAudit(7, v)
		if err != nil {
			return nil, err
		}
		return encodeAudit(r), nil
	}},
	{"head", func(v []byte) ([]byte, error) {
		h, err := decodeHead(v)
		return encodeHead(h), err
	}},
	{"record", func(v []byte) ([]byte, error) {
		var r, back StoredRecord
		if err := decodeRecord(v, &r); err != nil {
			return nil, err
		}
		w := encodeRecord(r.Time, &Record{Type: r.Type, Body: r.Body, Salt: r.Salt})
		if v[0] < recordEncodingZstd && w[0] < recordEncodingZstd {
			return w, nil // a body stored as it is encodes to the same bytes
		}
		// A compressed body has many encodings (another encoder's frame,
		// a body stored as it is that would shrink): it must read back.
		if err := decodeRecord(w, &back); err != nil || !reflect.DeepEqual(back, r) {
			return nil, errReadBack
		}
		return v, nil
	}},
	{"evidence", func(v []byte) ([]byte, error) {
		var eq Equivocation
		if err := decodeEvidence(v, &eq); err != nil {
			return nil, err
		}
		return encodeEvidence(&eq), nil
	}},
	{"partner", func(v []byte) ([]byte, error) {
		p, err := decodePartner(v)
		if err != nil {
			return nil, err
		}
		b, err := encodePartner(p)
		if err != nil {
			return nil, err
		}
		if back, err := decodePartner(b); err != nil || !reflect.DeepEqual(back, p) {
			return nil, errReadBack
		}
		return v, nil // JSON: the encoding differs, the value must not
	}},
}

// errReadBack is a decoded value that does not survive encoding.
var errReadBack = errors.New("value does not read back")

// FuzzStoredValues hands every decoder of stored values arbitrary bytes,
// as a damaged store would: none may panic, every refusal must be
// ErrCorrupt, and what a decoder accepts must encode back to the same bytes.
func FuzzStoredValues(f *testing.F) {
	now := time.Unix(1_800_000_000, 123)
	f.Add(uint8(0), encodeAudit(&AuditRecord{Time: now, Prev: protocol.Hash{1}, Hash: protocol.Hash{2}, Action: "partner.add", Details: []byte(`{"code":"BE"}`)}))
	f.Add(uint8(1), encodeHead(Head{Seq: 42, Hash: protocol.Hash{3}, Time: now}))
	f.Add(uint8(2), encodeRecord(now, &Record{Type: "notice", Body: []byte(`{"v":1}`), Salt: bytes.Repeat([]byte{7}, protocol.SaltSize)}))
	f.Add(uint8(2), encodeRecord(now, &Record{Type: "notice", Body: []byte(`{}`)}))
	f.Add(uint8(2), encodeRecord(now, &Record{Type: "batch", Body: batchBody(3), Salt: bytes.Repeat([]byte{8}, protocol.SaltSize)}))
	f.Add(uint8(2), encodeRecord(now, &Record{Type: "batch", Body: batchBody(2)}))
	f.Add(uint8(3), encodeEvidence(&Equivocation{Seen: now, Kept: protocol.Hash{4}, Conflicting: []byte("other entry")}))
	p, _ := encodePartner(Partner{Code: "BE", Card: []byte("card"), Key: crypto.PublicKey{5}, Added: now, AddrOverride: []string{"/ip4/127.0.0.1/tcp/1"}})
	f.Add(uint8(4), p)
	f.Add(uint8(4), []byte(`{"code":"BE","key":"AAAA"}`))
	f.Add(uint8(4), []byte(`{"code":"BE","keY":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","Addr_override":[],"retired":[]}`)) // found by the fuzzer: empty lists
	f.Fuzz(func(t *testing.T, kind uint8, v []byte) {
		sv := storedValues[int(kind)%len(storedValues)]
		got, err := sv.roundTrip(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: %v", sv.name, err)
			}
			return
		}
		if !bytes.Equal(got, v) {
			t.Fatalf("%s: %x decodes and encodes to %x", sv.name, v, got)
		}
	})
}
