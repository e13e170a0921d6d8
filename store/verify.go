package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"

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
	Blobs        int // attachments' blobs (manifests) checked
	Problems     []Problem
	// Damaged are the chunks of attachments found altered on disk, now
	// recorded missing (each is a problem too).
	Damaged []DamagedChunk
}

// OK reports whether Verify found no problem.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// ctxCheckEvery is how many keys Verify walks between context checks.
const ctxCheckEvery = 256

// Verify re-checks the whole store in one consistent snapshot: it decodes
// every entry again and authenticates it, checks that it is stored
// under its own author and seq, that every feed runs from seq 1 without
// gaps, that each entry links to the one before it, that each head is the
// feed's last entry, and that records and index keys match each other.
// It also checks the audit log's chain as [Store.VerifyAudit] does, and
// the attachments' blobs: every chunk against its hash, every manifest
// against its blob id, every blob marked complete for missing chunks. A
// chunk found damaged is then recorded missing, and its blob incomplete,
// in one transaction per blob (the one write Verify makes), so that the
// node fetches it again from a partner ([VerifyReport.Damaged]).
//
// Every entry's own signature is checked, as a catch-up checks them
// ([protocol.DecodeBatch]: one batch per worker's share, and each entry on
// its own around a fault, which names the entry at fault); the hash chain
// is checked besides. It reports every problem and carries on past it; the error is only for I/O
// failures and ctx.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	v := &verifier{ctx: ctx, ends: map[crypto.PublicKey]*feedState{}, chunks: s.chunks}
	err := s.view(func(txn *badger.Txn) error {
		v.txn = txn
		for _, step := range []func() error{v.entries, v.heads, v.records, v.indexes, v.unindexed, v.audit, v.blobs, v.describeDamage} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify store: %w", err)
	}
	s.markDamaged(v)
	v.rep.AuditRecords = v.auditLog.records
	return v.rep, nil
}

// verifier is the state of one Verify run.
type verifier struct {
	ctx   context.Context
	txn   *badger.Txn
	rep   VerifyReport
	ends  map[crypto.PublicKey]*feedState // the feeds met while walking entries
	recs  recordTable                     // the records met, for the index walk
	steps int
	// badSig, when not nil, gets per feed the lowest seq whose entry
	// fails its own signature ([Store.BadSignatures]).
	badSig map[crypto.PublicKey]uint64
	// auditLog is what the audit step knows of the audit log's chain.
	auditLog auditWalk
	// chunks is where the store keeps blob chunks.
	chunks chunkStore
	// badChunks are the chunks in Badger (b/c/) whose bytes do not hash
	// to their key; damaged the chunks of blobs found failing, in walk
	// order; own the blobs this node sealed, read when first needed.
	badChunks map[[32]byte]bool
	damaged   []damage
	own       map[blob.ID]bool
}

// feedState is what the entry walk knows about the feed it is in.
type feedState struct {
	lastSeq  uint64        // seq of the last entry key
	lastHash protocol.Hash // hash of its bytes
	lastOK   bool          // it decoded under its own key, so lastHash can be trusted
	count    uint64        // entry keys met
	// gaps are the seqs missing below lastSeq, in order; zero is set when
	// an entry is stored under seq 0. With lastSeq they tell which entry
	// keys exist, for the record walk.
	gaps []seqRange
	zero bool
}

// seqRange is the seqs from..to, both included.
type seqRange struct{ from, to uint64 }

// hasEntry reports whether an entry key for seq was met.
func (f *feedState) hasEntry(seq uint64) bool {
	if seq == 0 {
		return f.zero
	}
	if seq > f.lastSeq {
		return false
	}
	i, _ := slices.BinarySearchFunc(f.gaps, seq, func(g seqRange, s uint64) int { return cmp.Compare(g.to, s) })
	return i == len(f.gaps) || seq < f.gaps[i].from
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

func (v *verifier) gap(a crypto.PublicKey, from, to uint64) {
	if f := v.ends[a]; f != nil {
		f.gaps = append(f.gaps, seqRange{from, to})
	}
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

func compareKeys(a, b crypto.PublicKey) int { return bytes.Compare(a[:], b[:]) }
