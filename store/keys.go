package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Key prefixes of layout 3 (docs/storage.md; the natural-key index "k/" is
// in keyindex.go, the audit log "a/" in audit.go). Integers are big-endian so
// that keys sort numerically; times are signed Unix nanoseconds with the
// sign bit flipped so that they sort chronologically.
const (
	prefixEntry     = "e/"  // author(32) seq(8)           -> entry wire bytes
	prefixHead      = "h/"  // author(32)                   -> seq(8) hash(32) time(8)
	prefixRecord    = "r/"  // author(32) seq(8)           -> record encoding
	prefixTypeIndex = "it/" // type 0x00 time(8) author(32) seq(8) -> empty
	prefixTimeIndex = "t/"  // time(8) author(32) seq(8)   -> empty
	prefixPartner   = "p/"  // code                         -> partner JSON
	prefixEvidence  = "x/"  // author(32) seq(8) hash(32)  -> seen(8) kept(32) entry bytes
	prefixMeta      = "m/"  // key                          -> opaque bytes
	prefixHeld      = "f/"  // author(32) seq(8)           -> time(8) this node first held the entry
)

// keyVersion holds the layout version, a uint32.
var keyVersion = []byte("v")

const (
	authorLen = len(crypto.PublicKey{})
	hashLen   = len(protocol.Hash{})
	// feedSeqLen is the length of author(32) seq(8).
	feedSeqLen = authorLen + 8
)

func makeKey(prefix string, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func entryKey(a crypto.PublicKey, seq uint64) []byte  { return makeKey(prefixEntry, a[:], be64(seq)) }
func recordKey(a crypto.PublicKey, seq uint64) []byte { return makeKey(prefixRecord, a[:], be64(seq)) }
func headKey(a crypto.PublicKey) []byte               { return makeKey(prefixHead, a[:]) }
func heldKey(a crypto.PublicKey, seq uint64) []byte   { return makeKey(prefixHeld, a[:], be64(seq)) }
func partnerKey(code string) []byte                   { return makeKey(prefixPartner, []byte(code)) }
func metaKey(k string) []byte                         { return makeKey(prefixMeta, []byte(k)) }

// feedPrefix is prefix followed by the author: all of one feed's keys.
func feedPrefix(prefix string, a crypto.PublicKey) []byte { return makeKey(prefix, a[:]) }

func evidenceKey(a crypto.PublicKey, seq uint64, h protocol.Hash) []byte {
	return makeKey(prefixEvidence, a[:], be64(seq), h[:])
}

func typeIndexPrefix(typ string) []byte { return makeKey(prefixTypeIndex, []byte(typ), []byte{0}) }

func typeIndexKey(typ string, t time.Time, a crypto.PublicKey, seq uint64) []byte {
	return makeKey(prefixTypeIndex, []byte(typ), []byte{0}, timeKey(t), a[:], be64(seq))
}

func timeIndexKey(t time.Time, a crypto.PublicKey, seq uint64) []byte {
	return makeKey(prefixTimeIndex, timeKey(t), a[:], be64(seq))
}

// parseFeedSeq splits prefix author(32) seq(8).
func parseFeedSeq(prefix string, k []byte) (crypto.PublicKey, uint64, bool) {
	var a crypto.PublicKey
	rest, ok := bytes.CutPrefix(k, []byte(prefix))
	if !ok || len(rest) != feedSeqLen {
		return a, 0, false
	}
	copy(a[:], rest)
	return a, binary.BigEndian.Uint64(rest[authorLen:]), true
}

// parseIndexTail splits time(8) author(32) seq(8), the tail of both index
// keys.
func parseIndexTail(rest []byte) (time.Time, crypto.PublicKey, uint64, bool) {
	var a crypto.PublicKey
	if len(rest) != 8+feedSeqLen {
		return time.Time{}, a, 0, false
	}
	copy(a[:], rest[8:])
	return timeFromKey(rest[:8]), a, binary.BigEndian.Uint64(rest[8+authorLen:]), true
}

// parseTypeIndex splits an "it/" key.
func parseTypeIndex(k []byte) (typ string, t time.Time, a crypto.PublicKey, seq uint64, ok bool) {
	rest, ok := bytes.CutPrefix(k, []byte(prefixTypeIndex))
	i := bytes.IndexByte(rest, 0)
	if !ok || i < 1 {
		return "", t, a, 0, false
	}
	t, a, seq, ok = parseIndexTail(rest[i+1:])
	return string(rest[:i]), t, a, seq, ok
}

// parseTimeIndex splits a "t/" key.
func parseTimeIndex(k []byte) (time.Time, crypto.PublicKey, uint64, bool) {
	rest, ok := bytes.CutPrefix(k, []byte(prefixTimeIndex))
	if !ok {
		return time.Time{}, crypto.PublicKey{}, 0, false
	}
	return parseIndexTail(rest)
}

// parseEvidence splits an "x/" key.
func parseEvidence(k []byte) (crypto.PublicKey, uint64, protocol.Hash, bool) {
	var h protocol.Hash
	a, seq, ok := parseFeedSeq(prefixEvidence, k[:min(len(k), len(prefixEvidence)+feedSeqLen)])
	if !ok || len(k) != len(prefixEvidence)+feedSeqLen+hashLen {
		return a, 0, h, false
	}
	copy(h[:], k[len(prefixEvidence)+feedSeqLen:])
	return a, seq, h, true
}

// prefixEnd returns a key after every key that starts with prefix and is
// at most 64 bytes longer, for reverse iteration.
func prefixEnd(prefix []byte) []byte {
	return append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 64)...)
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func uint32FromBE(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func uint64FromBE(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// timeKey encodes t as Unix nanoseconds with the sign bit flipped, so that
// times before 1970 sort before times after it.
func timeKey(t time.Time) []byte { return be64(uint64(unixNano(t)) ^ 1<<63) }

func timeFromKey(b []byte) time.Time {
	return fromUnixNano(int64(binary.BigEndian.Uint64(b) ^ 1<<63))
}

// appendTime encodes t as signed Unix nanoseconds in a value.
func appendTime(b []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(unixNano(t)))
}

func readTime(b []byte) time.Time {
	return fromUnixNano(int64(binary.BigEndian.Uint64(b)))
}

// unixNano is t.UnixNano, with the zero time (which UnixNano cannot
// represent) mapped to math.MinInt64. Other times outside 1678..2262 are
// clamped by UnixNano's own rules.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// parseHeadKey splits an "h/" key.
func parseHeadKey(k []byte) (crypto.PublicKey, bool) {
	var a crypto.PublicKey
	rest, ok := bytes.CutPrefix(k, []byte(prefixHead))
	if !ok || len(rest) != authorLen {
		return a, false
	}
	copy(a[:], rest)
	return a, true
}
