package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// epoch is the time of seq 1 in test chains; seq n is n minutes later.
var epoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// chain builds signed entries of one author's feed.
type chain struct {
	tb      testing.TB
	id      *crypto.Identity
	entries []*protocol.Entry // entries[i] has seq i+1
	offset  time.Duration     // added to every entry time
}

func newChain(tb testing.TB) *chain {
	tb.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	return &chain{tb: tb, id: id}
}

func (c *chain) author() crypto.PublicKey { return c.id.Public() }

// head is the last built entry's seq and hash.
func (c *chain) head() (uint64, protocol.Hash) {
	if len(c.entries) == 0 {
		return 0, protocol.Hash{}
	}
	e := c.entries[len(c.entries)-1]
	return e.Seq, e.Hash()
}

// next builds the next entry of the chain with a ciphertext of size bytes.
func (c *chain) next(typ string, size int) *protocol.Entry {
	seq, prev := c.head()
	e := c.make(seq+1, prev, typ, fmt.Sprintf("entry %d", seq+1), size)
	c.entries = append(c.entries, e)
	return e
}

// build appends n entries of type typ to the chain and returns them.
func (c *chain) build(n int, typ string) []*protocol.Entry {
	for range n {
		c.next(typ, 64)
	}
	return c.entries[len(c.entries)-n:]
}

// variant builds an entry with the given seq and prev that is not in the
// chain: a fork (same prev: equivocation) or a broken link (other prev).
func (c *chain) variant(seq uint64, prev protocol.Hash, salt string) *protocol.Entry {
	return c.make(seq, prev, "note", salt, 64)
}

func (c *chain) make(seq uint64, prev protocol.Hash, typ, salt string, size int) *protocol.Entry {
	c.tb.Helper()
	ct := make([]byte, size)
	copy(ct, salt)
	e, err := protocol.NewEntry(c.id, protocol.Draft{
		Seq:        seq,
		Prev:       prev,
		Time:       epoch.Add(time.Duration(seq)*time.Minute + c.offset),
		Type:       typ,
		Audience:   []string{"DE", "FR"},
		Ciphertext: ct,
	})
	if err != nil {
		c.tb.Fatal(err)
	}
	return e
}

// recordFor is the record a node would store for e.
func recordFor(e *protocol.Entry) *Record {
	return &Record{Type: e.Type, Body: fmt.Appendf(nil, `{"seq":%d}`, e.Seq)}
}

func openMem(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func openDir(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// appendAll appends entries with their records, failing on any error.
func appendAll(tb testing.TB, s *Store, entries []*protocol.Entry, withRecords bool) {
	tb.Helper()
	for _, e := range entries {
		var rec *Record
		if withRecords {
			rec = recordFor(e)
		}
		if err := s.Append(e, rec); err != nil {
			tb.Fatalf("append #%d: %v", e.Seq, err)
		}
	}
}

// rawKeys returns every key of the store with its value, for checking that
// a failed operation wrote nothing.
func (s *Store) rawKeys(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, nil, func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// deleteKey removes one key, bypassing every check (damage for Verify);
// the cached heads are dropped, as the key may be a head.
func (s *Store) deleteKey(key []byte) error {
	defer s.heads.drop()
	return s.update(func(txn *badger.Txn) error { return txn.Delete(key) })
}

// setKey writes one key, bypassing every check (damage for Verify); the
// cached heads are dropped, as the key may be a head.
func (s *Store) setKey(key, v []byte) error {
	defer s.heads.drop()
	return s.update(func(txn *badger.Txn) error { return txn.Set(key, v) })
}

func (s *Store) deleteEntry(a crypto.PublicKey, seq uint64) error {
	return s.deleteKey(entryKey(a, seq))
}

func (s *Store) putHead(a crypto.PublicKey, h Head) error {
	return s.setKey(headKey(a), encodeHead(h))
}

// wantProblems checks that rep has exactly the problems of kinds at seqs.
func wantProblems(tb testing.TB, rep VerifyReport, want ...Problem) {
	tb.Helper()
	got := make([]Problem, len(rep.Problems))
	for i, p := range rep.Problems {
		got[i] = Problem{Author: p.Author, Seq: p.Seq, Kind: p.Kind}
	}
	if !slices.Equal(got, want) {
		tb.Fatalf("problems:\n got %v\nwant %v\nfull: %+v", got, want, rep.Problems)
	}
}

func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("error %v, want %v", err, target)
	}
}
