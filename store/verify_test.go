package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// verifyFixture is an on-disk store with two feeds of 10 entries, all with
// records, closed so TamperEntry can open it.
func verifyFixture(t *testing.T) (dir string, a, b *chain) {
	dir = t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a, b = newChain(t), newChain(t)
	appendAll(t, s, a.build(10, "note"), true)
	appendAll(t, s, b.build(10, "note"), true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, a, b
}

func verify(t *testing.T, s *Store) VerifyReport {
	t.Helper()
	rep, err := s.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyClean(t *testing.T) {
	dir, _, _ := verifyFixture(t)
	s := openDir(t, dir)
	rep := verify(t, s)
	if !rep.OK() || rep.Feeds != 2 || rep.Entries != 20 || rep.Records != 20 {
		t.Fatalf("clean store: %+v", rep)
	}
}

func TestVerifyTamperedEntry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		seq    uint64
		offset int
	}{
		{"first byte of a middle entry", 4, 0},
		{"signature of the last entry", 10, -1},
		{"ciphertext of the first entry", 1, 200},
		{"offset beyond the length", 7, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, a, _ := verifyFixture(t)
			if err := TamperEntry(dir, a.author(), tc.seq, tc.offset); err != nil {
				t.Fatal(err)
			}
			s := openDir(t, dir)
			wantProblems(t, verify(t, s), Problem{Author: a.author(), Seq: tc.seq, Kind: ProblemDecode})
			_, err := s.Entry(a.author(), tc.seq)
			wantErr(t, err, ErrCorrupt)
			_, err = s.Entries(a.author(), 1, 0)
			wantErr(t, err, ErrCorrupt)
		})
	}
	wantErr(t, TamperEntry(t.TempDir(), crypto.PublicKey{}, 1, 0), ErrNotFound)
}

func TestVerifyDamage(t *testing.T) {
	c := newChain(t)
	entries := c.build(10, "note")
	a := c.author()
	other := newChain(t).build(1, "note")[0]
	tests := []struct {
		name   string
		damage func(s *Store) error
		want   []Problem
	}{
		{"deleted middle entry", func(s *Store) error { return s.deleteEntry(a, 5) },
			[]Problem{{Author: a, Seq: 5, Kind: ProblemGap}, {Author: a, Seq: 5, Kind: ProblemRecord}}},
		{"deleted first entries", func(s *Store) error { return errors.Join(deleteAppended(s, entries[0]), deleteAppended(s, entries[1])) },
			[]Problem{{Author: a, Seq: 1, Kind: ProblemGap}}},
		{"deleted last entry", func(s *Store) error { return errors.Join(s.deleteEntry(a, 10), s.deleteKey(recordKey(a, 10))) },
			[]Problem{{Author: a, Seq: 10, Kind: ProblemHead}, {Author: a, Seq: 10, Kind: ProblemRecord}, {Author: a, Seq: 10, Kind: ProblemRecord}}},
		{"forged head hash", func(s *Store) error {
			return s.putHead(a, Head{Seq: 10, Hash: entries[3].Hash(), Time: entries[9].Time})
		},
			[]Problem{{Author: a, Seq: 10, Kind: ProblemHead}}},
		{"head ahead", func(s *Store) error { return s.putHead(a, Head{Seq: 12, Hash: entries[9].Hash()}) },
			[]Problem{{Author: a, Seq: 12, Kind: ProblemHead}}},
		{"missing head", func(s *Store) error { return s.deleteKey(headKey(a)) },
			[]Problem{{Author: a, Seq: 10, Kind: ProblemHead}}},
		{"entry under the wrong seq", func(s *Store) error { return s.setKey(entryKey(a, 6), entries[6].Bytes()) },
			[]Problem{{Author: a, Seq: 6, Kind: ProblemKey}}},
		{"entry of another author", func(s *Store) error { return s.setKey(entryKey(a, 6), other.Bytes()) },
			[]Problem{{Author: a, Seq: 6, Kind: ProblemKey}}},
		{"broken link", func(s *Store) error { return s.setKey(entryKey(a, 6), c.variant(6, entries[0].Hash(), "x").Bytes()) },
			[]Problem{{Author: a, Seq: 6, Kind: ProblemChain}, {Author: a, Seq: 7, Kind: ProblemChain}}},
		{"missing type index", func(s *Store) error { return s.deleteKey(typeIndexKey("note", entries[2].Time, a, 3)) },
			[]Problem{{Author: a, Seq: 3, Kind: ProblemRecord}}},
		{"dangling time index", func(s *Store) error { return s.setKey(timeIndexKey(entries[2].Time, a, 42), nil) },
			[]Problem{{Author: a, Seq: 42, Kind: ProblemRecord}}},
		{"stale type index", func(s *Store) error { return s.setKey(typeIndexKey("other", entries[2].Time, a, 3), nil) },
			[]Problem{{Author: a, Seq: 3, Kind: ProblemRecord}}},
		{"record without entry", func(s *Store) error {
			return writeRecordDirect(s, a, 11, entries[9].Time)
		}, []Problem{{Author: a, Seq: 11, Kind: ProblemRecord}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openMem(t)
			appendAll(t, s, entries, true)
			if err := tt.damage(s); err != nil {
				t.Fatal(err)
			}
			wantProblems(t, verify(t, s), tt.want...)
		})
	}
}

// deleteAppended removes every key Append wrote for e, except the head.
func deleteAppended(s *Store, e *protocol.Entry) error {
	keys := append(indexKeys(e.Type, e.Time, e.Author, e.Seq), entryKey(e.Author, e.Seq), recordKey(e.Author, e.Seq))
	var errs []error
	for _, k := range keys {
		errs = append(errs, s.deleteKey(k))
	}
	return errors.Join(errs...)
}

// writeRecordDirect stores a record and its indexes without an entry.
func writeRecordDirect(s *Store, a crypto.PublicKey, seq uint64, tm time.Time) error {
	return s.update(func(txn *badger.Txn) error {
		rec := &Record{Type: "note", Body: []byte("{}")}
		rec.value = encodeRecord(tm, rec)
		return writeRecord(txn, a, seq, tm, rec)
	})
}

func TestVerifyCancelled(t *testing.T) {
	s := openMem(t)
	appendAll(t, s, newChain(t).build(300, "note"), false)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Verify(ctx)
	wantErr(t, err, context.Canceled)
}

// TestVerifyManyBatches checks the parallel entry walk over many batches
// of two feeds: each damaged entry is reported once, in key order, and
// the entries after it are checked as before.
func TestVerifyManyBatches(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*verifyBatch + 17
	a, b := newChain(t), newChain(t)
	appendAll(t, s, a.build(n, "note"), true)
	appendAll(t, s, b.build(n, "note"), true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(TamperEntry(dir, a.author(), verifyBatch+1, 0), TamperEntry(dir, b.author(), n, -1)); err != nil {
		t.Fatal(err)
	}
	want := []Problem{{Author: a.author(), Seq: verifyBatch + 1, Kind: ProblemDecode}, {Author: b.author(), Seq: n, Kind: ProblemDecode}}
	if compareKeys(a.author(), b.author()) > 0 {
		want[0], want[1] = want[1], want[0]
	}
	rep := verify(t, openDir(t, dir))
	wantProblems(t, rep, want...)
	if rep.Entries != 2*n || rep.Records != 2*n {
		t.Fatalf("%d entries and %d records, want %d each", rep.Entries, rep.Records, 2*n)
	}
}

// TestVerifyFarSeq checks that an entry and a record stored under a seq
// far beyond the feed's are reported without sizing anything by that seq.
func TestVerifyFarSeq(t *testing.T) {
	c := newChain(t)
	entries := c.build(10, "note")
	a := c.author()
	s := openMem(t)
	appendAll(t, s, entries, true)
	const far = 1 << 50
	err := errors.Join(s.setKey(entryKey(a, far), entries[9].Bytes()), writeRecordDirect(s, a, far, entries[9].Time))
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, verify(t, s),
		Problem{Author: a, Seq: 11, Kind: ProblemGap},
		Problem{Author: a, Seq: far, Kind: ProblemKey},
		Problem{Author: a, Seq: 10, Kind: ProblemHead})
}

// TestVerifyFindsAnEntryVouchedForByItsSuccessor: a store written by an
// older kpnode, which authenticated a run of entries by its last
// signature only, may hold an entry whose own signature fails under a
// validly signed successor chained to it (issue 13). Verify names that
// entry alone; reading it fails, reading its successor does not.
func TestVerifyFindsAnEntryVouchedForByItsSuccessor(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	appendAll(t, s, c.build(3, "note"), false)
	e4 := c.make(4, c.entries[2].Hash(), "note", "four", 64)
	bad := bytes.Clone(e4.Bytes())
	bad[len(bad)-1] ^= 1
	e5 := c.make(5, hashBytes(bad), "note", "five", 64)
	err := s.update(func(txn *badger.Txn) error {
		return errors.Join(txn.Set(entryKey(c.author(), 4), bad), txn.Set(entryKey(c.author(), 5), bytes.Clone(e5.Bytes())),
			txn.Set(headKey(c.author()), encodeHead(Head{Seq: 5, Hash: e5.Hash(), Time: e5.Time})))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := verify(t, s)
	wantProblems(t, rep, Problem{Author: c.author(), Seq: 4, Kind: ProblemDecode})
	if !strings.Contains(rep.Problems[0].Detail, protocol.ErrBadSignature.Error()) {
		t.Errorf("problem %q does not say the signature fails", rep.Problems[0].Detail)
	}
	_, err = s.Entry(c.author(), 4)
	wantErr(t, err, ErrCorrupt)
	if _, err := s.Entry(c.author(), 5); err != nil {
		t.Errorf("entry 5: %v", err)
	}
	found, err := s.BadSignatures(t.Context())
	if err != nil || len(found) != 1 || found[c.author()] != 4 {
		t.Errorf("BadSignatures: %v, %v; want entry 4 of the feed", found, err)
	}
}

// TestNewStoreIsMarkedSignaturesChecked: a store this version creates
// holds only entries that verify on their own signature, so a node never
// sweeps it; PlantEntries makes one as older versions could leave it.
func TestNewStoreIsMarkedSignaturesChecked(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	if done, err := s.SignaturesChecked(); !done || err != nil {
		t.Fatalf("new store: signatures checked %v, %v", done, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := newChain(t)
	if err := PlantEntries(dir, c.build(1, "note")[0].Bytes()); err != nil {
		t.Fatal(err)
	}
	if done, err := openDir(t, dir).SignaturesChecked(); done || err != nil {
		t.Fatalf("planted store: signatures checked %v, %v", done, err)
	}
}
