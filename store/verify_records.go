package store

import (
	"bytes"
	"cmp"
	"maps"
	"slices"

	"github.com/kpnode/kpnode/crypto"
)

// recordInfo is what the record walk of [Store.Verify] learnt of one
// stored record, for the index walk that follows.
type recordInfo struct {
	nano    int64  // the record's time, as unixNano
	typ     string // its type
	present bool   // a record is stored under this key
	ok      bool   // its value decoded
	indexed uint8  // the index keys met: 1 its type index key, 2 its time index key
}

// Bits of recordInfo.indexed.
const (
	indexedType uint8 = 1 << iota
	indexedTime
)

// feedSeq names an entry or a record.
type feedSeq struct {
	a   crypto.PublicKey
	seq uint64
}

// recordTable holds a recordInfo per stored record, without a Badger
// lookup per record or index key: a dense slice per feed for the seqs of
// its entries (seq s at index s-1), a map for the records beyond them.
// A feed whose last seq is far above its number of entries (a damaged
// key) gets no slice, so that its size stays bounded by what is stored.
type recordTable struct {
	dense map[crypto.PublicKey][]recordInfo
	extra map[feedSeq]*recordInfo
}

// add returns the slot of (a, seq), marked present; last is the feed's
// last entry seq and count its number of entries (0 if it has none).
func (t *recordTable) add(a crypto.PublicKey, seq, last, count uint64) *recordInfo {
	if seq >= 1 && seq <= last && last <= 2*count+1024 {
		if t.dense == nil {
			t.dense = map[crypto.PublicKey][]recordInfo{}
		}
		d := t.dense[a]
		if d == nil {
			d = make([]recordInfo, last)
			t.dense[a] = d
		}
		d[seq-1].present = true
		return &d[seq-1]
	}
	if t.extra == nil {
		t.extra = map[feedSeq]*recordInfo{}
	}
	r := &recordInfo{present: true}
	t.extra[feedSeq{a, seq}] = r
	return r
}

// get returns the slot of (a, seq), or nil when no record is stored there.
func (t *recordTable) get(a crypto.PublicKey, seq uint64) *recordInfo {
	if d := t.dense[a]; seq >= 1 && seq <= uint64(len(d)) {
		if d[seq-1].present {
			return &d[seq-1]
		}
		return nil
	}
	return t.extra[feedSeq{a, seq}]
}

// records checks that every record has its entry and decodes, and notes
// it for the index walk.
func (v *verifier) records() error {
	return v.walk(prefixRecord, true, func(k, val []byte) {
		v.rep.Records++
		v.checkRecord(k, val)
	})
}

func (v *verifier) checkRecord(k, val []byte) {
	a, seq, ok := parseFeedSeq(prefixRecord, k)
	if !ok {
		v.problem(a, 0, ProblemRecord, "malformed record key %x", k)
		return
	}
	f := v.ends[a]
	if f == nil || !f.hasEntry(seq) {
		v.problem(a, seq, ProblemRecord, "record without its entry")
	}
	var last, count uint64
	if f != nil {
		last, count = f.lastSeq, f.count
	}
	info := v.recs.add(a, seq, last, count)
	r := StoredRecord{Author: a, Seq: seq}
	if err := decodeRecord(val, &r); err != nil {
		v.problem(a, seq, ProblemRecord, "%v", err)
		return
	}
	info.nano, info.typ, info.ok = unixNano(r.Time), r.Type, true
}

// indexes checks that every index key points to a record that has it, and
// marks the records' keys met.
func (v *verifier) indexes() error {
	err := v.walk(prefixTypeIndex, false, func(k, _ []byte) { v.checkIndex(k, indexedType) })
	if err == nil {
		err = v.walk(prefixTimeIndex, false, func(k, _ []byte) { v.checkIndex(k, indexedTime) })
	}
	return err
}

// checkIndex checks the index key k, of the kind bit.
func (v *verifier) checkIndex(k []byte, bit uint8) {
	a, seq, ok := indexTarget(k)
	if !ok {
		v.problem(a, 0, ProblemRecord, "malformed index key %x", k)
		return
	}
	r := v.recs.get(a, seq)
	switch {
	case r == nil:
		v.problem(a, seq, ProblemRecord, "index key %x points to a missing record", k)
	case !r.ok:
		// reported by the record walk
	case !bytes.Equal(k, r.indexKey(bit, a, seq)):
		v.problem(a, seq, ProblemRecord, "stale index key %x (record is %q at %s)", k, r.typ, fromUnixNano(r.nano))
	default:
		r.indexed |= bit
	}
}

// indexKey is the record's index key of the kind bit.
func (r *recordInfo) indexKey(bit uint8, a crypto.PublicKey, seq uint64) []byte {
	if bit == indexedType {
		return typeIndexKey(r.typ, fromUnixNano(r.nano), a, seq)
	}
	return timeIndexKey(fromUnixNano(r.nano), a, seq)
}

// unindexed reports the records that lack an index key, by feed and seq.
func (v *verifier) unindexed() error {
	check := func(a crypto.PublicKey, seq uint64, r *recordInfo) {
		for _, bit := range []uint8{indexedType, indexedTime} {
			if r.ok && r.indexed&bit == 0 {
				v.problem(a, seq, ProblemRecord, "record %q lacks index key %x", r.typ, r.indexKey(bit, a, seq))
			}
		}
	}
	for _, a := range slices.SortedFunc(maps.Keys(v.recs.dense), compareKeys) {
		for i := range v.recs.dense[a] {
			if r := &v.recs.dense[a][i]; r.present {
				check(a, uint64(i+1), r)
			}
		}
	}
	extra := slices.SortedFunc(maps.Keys(v.recs.extra), func(x, y feedSeq) int {
		if c := compareKeys(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	for _, k := range extra {
		check(k.a, k.seq, v.recs.extra[k])
	}
	return v.ctx.Err()
}
