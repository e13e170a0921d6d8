package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Problem kinds reported by [Store.Verify].
const (
	ProblemDecode = "decode" // stored bytes do not decode or their signature fails
	ProblemKey    = "key"    // an entry is stored under another author or seq than its own
	ProblemChain  = "chain"  // an entry's prev hash is not the hash of the entry before it
	ProblemGap    = "gap"    // seqs missing from a feed
	ProblemHead   = "head"   // the head disagrees with the feed's last entry
	ProblemRecord = "record" // a record or index key without its counterpart
	ProblemAudit  = "audit"  // the audit log's chain breaks (Seq is the audit record's; Author is zero)
)

// Problem is one inconsistency found by [Store.Verify].
type Problem struct {
	Author crypto.PublicKey
	Seq    uint64
	Kind   string // one of the Problem* constants
	Detail string
}

// VerifyReport is the outcome of [Store.Verify].
type VerifyReport struct {
	Feeds        int
	Entries      int
	Records      int
	AuditRecords int // records of the audit log
	Problems     []Problem
}

// OK reports whether Verify found no problem.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// ctxCheckEvery is how many keys Verify walks between context checks.
const ctxCheckEvery = 256

// Verify re-checks the whole store in one consistent snapshot: it decodes
// every entry again (verifying its signature), checks that it is stored
// under its own author and seq, that every feed runs from seq 1 without
// gaps, that each entry links to the one before it, that each head is the
// feed's last entry, and that records and index keys match each other.
// It also checks the audit log's chain as [Store.VerifyAudit] does. It
// reports every problem and carries on past it; the error is only for I/O
// failures and ctx.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	v := &verifier{ctx: ctx, ends: map[crypto.PublicKey]*feedState{}}
	err := s.view(func(txn *badger.Txn) error {
		v.txn = txn
		for _, step := range []func() error{v.entries, v.heads, v.records, v.indexes, v.audit} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify store: %w", err)
	}
	v.rep.AuditRecords = v.auditLog.records
	return v.rep, nil
}

// verifier is the state of one Verify run.
type verifier struct {
	ctx   context.Context
	txn   *badger.Txn
	rep   VerifyReport
	ends  map[crypto.PublicKey]*feedState // the feeds met while walking entries
	steps int
	// auditLog is what the audit step knows of the audit log's chain.
	auditLog auditWalk
}

// feedState is what the entry walk knows about the feed it is in.
type feedState struct {
	lastSeq  uint64        // seq of the last entry key
	lastHash protocol.Hash // hash of its bytes
	lastOK   bool          // it decoded under its own key, so lastHash can be trusted
}

func (v *verifier) problem(a crypto.PublicKey, seq uint64, kind, format string, args ...any) {
	v.rep.Problems = append(v.rep.Problems, Problem{Author: a, Seq: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// tick checks ctx every ctxCheckEvery steps.
func (v *verifier) tick() error {
	v.steps++
	if v.steps%ctxCheckEvery != 0 {
		return nil
	}
	return v.ctx.Err()
}

// walk calls fn for every key under prefix, with its value when values is
// set, checking ctx on the way.
func (v *verifier) walk(prefix string, values bool, fn func(k, val []byte)) error {
	o := badger.DefaultIteratorOptions
	o.Prefix, o.PrefetchValues = []byte(prefix), values
	it := v.txn.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := v.tick(); err != nil {
			return err
		}
		var val []byte
		if values {
			var err error
			if val, err = it.Item().ValueCopy(nil); err != nil {
				return err
			}
		}
		fn(it.Item().KeyCopy(nil), val)
	}
	return v.ctx.Err()
}

func (v *verifier) entries() error {
	return v.walk(prefixEntry, true, func(k, raw []byte) {
		v.rep.Entries++
		a, seq, ok := parseFeedSeq(prefixEntry, k)
		if !ok {
			v.problem(a, 0, ProblemKey, "malformed entry key %x", k)
			return
		}
		f := v.ends[a]
		if f == nil {
			f = &feedState{lastOK: true} // seq 1 follows (0, zero hash)
			v.ends[a] = f
		}
		v.checkEntry(a, seq, raw, f)
	})
}

// checkEntry checks the entry stored under (a, seq), which follows f.
func (v *verifier) checkEntry(a crypto.PublicKey, seq uint64, raw []byte, f *feedState) {
	if seq == 0 {
		v.problem(a, 0, ProblemKey, "entry stored under seq 0")
		return
	}
	prevKnown := f.lastOK && seq == f.lastSeq+1
	prevHash := f.lastHash
	if seq > f.lastSeq+1 {
		v.gap(a, f.lastSeq+1, seq-1)
	}
	f.lastSeq, f.lastHash, f.lastOK = seq, hashBytes(raw), false
	e, err := protocol.DecodeEntry(raw)
	switch {
	case err != nil:
		v.problem(a, seq, ProblemDecode, "%v", err)
	case e.Author != a || e.Seq != seq:
		v.problem(a, seq, ProblemKey, "entry %s #%d stored under %s #%d", e.Author, e.Seq, a, seq)
	default:
		f.lastOK = true
		if !prevKnown {
			return
		}
		if err := e.Follows(seq-1, prevHash); err != nil {
			v.problem(a, seq, ProblemChain, "prev %s, entry %d hashes to %s: %v", e.Prev, seq-1, prevHash, err)
		}
	}
}

func (v *verifier) gap(a crypto.PublicKey, from, to uint64) {
	if from == to {
		v.problem(a, from, ProblemGap, "seq %d missing", from)
		return
	}
	v.problem(a, from, ProblemGap, "seqs %d..%d missing", from, to)
}

// heads checks every head against the entry walk, and every feed has one.
func (v *verifier) heads() error {
	seen := map[crypto.PublicKey]bool{}
	err := v.walk(prefixHead, true, func(k, val []byte) {
		a, ok := parseHeadKey(k)
		if !ok {
			v.problem(a, 0, ProblemHead, "malformed head key %x", k)
			return
		}
		seen[a] = true
		v.checkHead(a, val)
	})
	for _, a := range slices.SortedFunc(maps.Keys(v.ends), compareKeys) {
		if !seen[a] {
			v.problem(a, v.ends[a].lastSeq, ProblemHead, "feed has entries up to %d but no head", v.ends[a].lastSeq)
		}
		seen[a] = true
	}
	v.rep.Feeds = len(seen)
	return err
}

func (v *verifier) checkHead(a crypto.PublicKey, val []byte) {
	h, err := decodeHead(val)
	if err != nil {
		v.problem(a, 0, ProblemHead, "%v", err)
		return
	}
	f := v.ends[a]
	switch {
	case f == nil && h.Seq != 0:
		v.problem(a, h.Seq, ProblemHead, "head at %d but the feed has no entries", h.Seq)
	case f == nil:
	case h.Seq != f.lastSeq:
		v.problem(a, h.Seq, ProblemHead, "head at %d, last entry is %d", h.Seq, f.lastSeq)
	case f.lastOK && h.Hash != f.lastHash:
		v.problem(a, h.Seq, ProblemHead, "head hash %s, entry %d hashes to %s", h.Hash, h.Seq, f.lastHash)
	}
}

// records checks that every record has its entry and its index keys.
func (v *verifier) records() error {
	var ioErr error
	err := v.walk(prefixRecord, true, func(k, val []byte) {
		v.rep.Records++
		if err := v.checkRecord(k, val); err != nil && ioErr == nil {
			ioErr = err
		}
	})
	return errors.Join(err, ioErr)
}

func (v *verifier) checkRecord(k, val []byte) error {
	a, seq, ok := parseFeedSeq(prefixRecord, k)
	if !ok {
		v.problem(a, 0, ProblemRecord, "malformed record key %x", k)
		return nil
	}
	found, err := has(v.txn, entryKey(a, seq))
	if err != nil {
		return err
	}
	if !found {
		v.problem(a, seq, ProblemRecord, "record without its entry")
	}
	r := StoredRecord{Author: a, Seq: seq}
	if err := decodeRecord(val, &r); err != nil {
		v.problem(a, seq, ProblemRecord, "%v", err)
		return nil
	}
	for _, ik := range indexKeys(r.Type, r.Time, a, seq) {
		found, err := has(v.txn, ik)
		if err != nil {
			return err
		}
		if !found {
			v.problem(a, seq, ProblemRecord, "record %q lacks index key %x", r.Type, ik)
		}
	}
	return nil
}

// indexes checks that every index key points to a record that has it.
func (v *verifier) indexes() error {
	var ioErr error
	check := func(k, _ []byte) {
		if err := v.checkIndex(k); err != nil && ioErr == nil {
			ioErr = err
		}
	}
	err := v.walk(prefixTypeIndex, false, check)
	if err == nil {
		err = v.walk(prefixTimeIndex, false, check)
	}
	return errors.Join(err, ioErr)
}

func (v *verifier) checkIndex(k []byte) error {
	a, seq, ok := indexTarget(k)
	if !ok {
		v.problem(a, 0, ProblemRecord, "malformed index key %x", k)
		return nil
	}
	r, err := readRecord(v.txn, a, seq)
	switch {
	case errors.Is(err, ErrNotFound):
		v.problem(a, seq, ProblemRecord, "index key %x points to a missing record", k)
	case errors.Is(err, ErrCorrupt):
		// reported by the record walk
	case err != nil:
		return err
	case !slices.ContainsFunc(indexKeys(r.Type, r.Time, a, seq), func(ik []byte) bool { return bytes.Equal(ik, k) }):
		v.problem(a, seq, ProblemRecord, "stale index key %x (record is %q at %s)", k, r.Type, r.Time)
	}
	return nil
}

func compareKeys(a, b crypto.PublicKey) int { return bytes.Compare(a[:], b[:]) }
