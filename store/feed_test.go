package store

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

func TestAppendAndReadBack(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(10, "note")
	if h, err := s.Head(c.author()); err != nil || h != (Head{}) {
		t.Fatalf("head of unknown feed = %+v, %v; want zero", h, err)
	}
	appendAll(t, s, entries, false)

	h, err := s.Head(c.author())
	last := entries[9]
	if err != nil || h.Seq != 10 || h.Hash != last.Hash() || !h.Time.Equal(last.Time) {
		t.Fatalf("head = %+v, %v; want seq 10 hash %s time %s", h, err, last.Hash(), last.Time)
	}
	e, err := s.Entry(c.author(), 5)
	if err != nil || !bytes.Equal(e.Bytes(), entries[4].Bytes()) {
		t.Fatalf("entry 5 = %v; want the appended bytes", err)
	}
	_, err = s.Entry(c.author(), 11)
	wantErr(t, err, ErrNotFound)

	checkRange(t, s, c.author(), 0, 0, entries)
	checkRange(t, s, c.author(), 4, 3, entries[3:6])
	checkRange(t, s, c.author(), 9, 5, entries[8:])
	checkRange(t, s, c.author(), 11, 0, nil)
}

func checkRange(t *testing.T, s *Store, a crypto.PublicKey, from uint64, limit int, want []*protocol.Entry) {
	t.Helper()
	got, err := s.Entries(a, from, limit)
	if err != nil {
		t.Fatalf("entries from %d limit %d: %v", from, limit, err)
	}
	if len(got) != len(want) {
		t.Fatalf("entries from %d limit %d: got %d, want %d", from, limit, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Bytes(), want[i].Bytes()) {
			t.Fatalf("entries from %d: #%d is seq %d, want %d", from, i, got[i].Seq, want[i].Seq)
		}
	}
}

func TestHeads(t *testing.T) {
	s := openMem(t)
	want := map[crypto.PublicKey]Head{}
	for n := 1; n <= 3; n++ {
		c := newChain(t)
		entries := c.build(n, "note")
		appendAll(t, s, entries, false)
		last := entries[n-1]
		want[c.author()] = Head{Seq: uint64(n), Hash: last.Hash(), Time: last.Time}
	}
	got, err := s.Heads()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(got, want, func(a, b Head) bool { return a.Seq == b.Seq && a.Hash == b.Hash && a.Time.Equal(b.Time) }) {
		t.Fatalf("heads = %v, want %v", got, want)
	}
}

func TestHashBytesIsEntryHash(t *testing.T) {
	e := newChain(t).next("note", 100)
	if hashBytes(e.Bytes()) != e.Hash() {
		t.Fatal("hashBytes(e.Bytes()) != e.Hash(): the store's hash of stored bytes disagrees with protocol")
	}
}

// TestAppendRejects checks each refusal: the error and that nothing but
// equivocation evidence is written.
func TestAppendRejects(t *testing.T) {
	c := newChain(t)
	entries := c.build(4, "note")
	tests := []struct {
		name     string
		entry    *protocol.Entry
		want     error
		evidence bool
	}{
		{"gap", entries[3], protocol.ErrSeqGap, false},
		{"broken chain", c.variant(3, entries[0].Hash(), "wrong prev"), protocol.ErrBrokenChain, false},
		{"duplicate", entries[1], ErrExists, false},
		{"equivocation", c.variant(2, entries[0].Hash(), "fork"), ErrEquivocation, true},
		{"equivocation with other prev", c.variant(2, entries[1].Hash(), "fork"), ErrEquivocation, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openMem(t)
			appendAll(t, s, entries[:2], true)
			before := s.rawKeys(t)
			err := s.Append(tt.entry, recordFor(tt.entry))
			wantErr(t, err, tt.want)
			after := s.rawKeys(t)
			added := keysAdded(before, after)
			if !tt.evidence && len(added) > 0 || tt.evidence && (len(added) != 1 || !strings.HasPrefix(added[0], prefixEvidence)) {
				t.Fatalf("keys written: %q", added)
			}
			if len(after) != len(before)+len(added) {
				t.Fatalf("keys changed or vanished: %d before, %d after", len(before), len(after))
			}
		})
	}
}

func keysAdded(before, after map[string]string) []string {
	var added []string
	for k, v := range after {
		if old, ok := before[k]; !ok {
			added = append(added, k)
		} else if old != v {
			added = append(added, "changed:"+k)
		}
	}
	return added
}

func TestEquivocationEvidence(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(3, "note")
	appendAll(t, s, entries, false)
	fork := c.variant(2, entries[0].Hash(), "fork")

	err := s.Append(fork, nil)
	wantErr(t, err, ErrEquivocation)
	for _, h := range []protocol.Hash{entries[1].Hash(), fork.Hash()} {
		if !strings.Contains(err.Error(), h.String()) {
			t.Errorf("error %q does not name hash %s", err, h)
		}
	}
	first, err := s.Equivocations()
	if err != nil || len(first) != 1 {
		t.Fatalf("equivocations = %v, %v; want 1", first, err)
	}
	eq := first[0]
	if eq.Author != c.author() || eq.Seq != 2 || eq.Kept != entries[1].Hash() || !bytes.Equal(eq.Conflicting, fork.Bytes()) || eq.Seen.IsZero() {
		t.Fatalf("evidence = %+v", eq)
	}
	if _, err := protocol.DecodeEntry(eq.Conflicting); err != nil {
		t.Fatalf("evidence does not decode: %v", err)
	}

	wantErr(t, s.Append(fork, nil), ErrEquivocation) // seen again: same evidence
	again, err := s.Equivocations()
	if err != nil || len(again) != 1 || !again[0].Seen.Equal(eq.Seen) {
		t.Fatalf("after a second sighting: %+v, %v; want the first evidence unchanged", again, err)
	}
	if h, _ := s.Head(c.author()); h.Seq != 3 || h.Hash != entries[2].Hash() {
		t.Fatalf("head moved to %+v", h)
	}
}

// TestConcurrentIdenticalAppends: goroutines append the same chain; each
// seq is won by exactly one of them, the others get ErrExists.
func TestConcurrentIdenticalAppends(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(50, "note")
	const workers = 8
	wins := make([]int, len(entries))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i, e := range entries {
				err := s.Append(e, recordFor(e))
				if err != nil && !errors.Is(err, ErrExists) {
					t.Errorf("append #%d: %v", e.Seq, err)
					return
				}
				mu.Lock()
				if err == nil {
					wins[i]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, n := range wins {
		if n != 1 {
			t.Fatalf("seq %d appended %d times", i+1, n)
		}
	}
	verifyClean(t, s, 1, 50)
}

// TestConcurrentForks: goroutines race to extend one feed, each with its
// own entry on top of the head it read. Each seq has exactly one winner;
// the losers are equivocations (or, when the head moved on, chain
// errors) and the stored chain verifies.
func TestConcurrentForks(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	const workers, perWorker = 8, 20
	var mu sync.Mutex
	winners := map[uint64]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				h, err := s.Head(c.author())
				if err != nil {
					t.Error(err)
					return
				}
				e := c.variant(h.Seq+1, h.Hash, string(rune('A'+w))+string(rune('a'+i)))
				err = s.Append(e, nil)
				switch {
				case err == nil:
					mu.Lock()
					winners[e.Seq]++
					mu.Unlock()
				case errors.Is(err, ErrEquivocation), errors.Is(err, protocol.ErrSeqGap), errors.Is(err, protocol.ErrBrokenChain):
				default:
					t.Errorf("append: %v", err)
				}
			}
		})
	}
	wg.Wait()
	h, err := s.Head(c.author())
	if err != nil || h.Seq < perWorker {
		t.Fatalf("head %+v, %v: want at least %d entries", h, err, perWorker)
	}
	for seq := uint64(1); seq <= h.Seq; seq++ {
		if winners[seq] != 1 {
			t.Fatalf("seq %d has %d winners", seq, winners[seq])
		}
	}
	verifyClean(t, s, 1, int(h.Seq))
}

// TestFailedAppendIsAtomic: a transaction that fails after the entry, the
// head, the record and its indexes were staged leaves no trace.
func TestFailedAppendIsAtomic(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(2, "note")
	appendAll(t, s, entries[:1], true)
	before := s.rawKeys(t)

	s.failAppend = errors.New("injected failure")
	err := s.Append(entries[1], recordFor(entries[1]))
	wantErr(t, err, s.failAppend)
	s.failAppend = nil
	if added := keysAdded(before, s.rawKeys(t)); len(added) > 0 {
		t.Fatalf("failed append wrote %q", added)
	}
	if h, _ := s.Head(c.author()); h.Seq != 1 {
		t.Fatalf("head moved to %d", h.Seq)
	}
	if _, err := s.Entry(c.author(), 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("entry 2 after failed append: %v", err)
	}
	if err := s.Append(entries[1], recordFor(entries[1])); err != nil {
		t.Fatalf("append after failure: %v", err)
	}
}

func TestAppendRejectsBadRecord(t *testing.T) {
	s := openMem(t)
	e := newChain(t).next("note", 10)
	for _, rec := range []*Record{{Type: "other"}, {Type: "a\x00b"}} {
		wantErr(t, s.Append(e, rec), ErrInvalid)
	}
	wantErr(t, s.Append(nil, nil), ErrInvalid)
	if keys := s.rawKeys(t); len(keys) != 2 { // the layout version and the signatures mark
		t.Fatalf("rejected appends wrote %d keys", len(keys)-2)
	}
	if err := s.Append(e, &Record{Body: []byte("{}")}); err != nil {
		t.Fatalf("record with empty type (the entry's): %v", err)
	}
}

func verifyClean(t *testing.T, s *Store, feeds, entries int) {
	t.Helper()
	rep, err := s.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Feeds != feeds || rep.Entries != entries {
		t.Fatalf("verify = %+v; want %d feeds, %d entries, no problems", rep, feeds, entries)
	}
}

// TestTooLargeInMemory: values Badger would refuse are refused with a short
// error (Badger's own dumps the value in hex) and nothing is written.
func TestTooLargeInMemory(t *testing.T) {
	s := openMem(t)
	before := len(s.rawKeys(t)) // the layout version and the signatures mark
	e := newChain(t).next("note", 2<<20)
	err := s.Append(e, nil)
	wantErr(t, err, ErrInvalid)
	if len(err.Error()) > 200 {
		t.Fatalf("error is %d bytes long", len(err.Error()))
	}
	wantErr(t, s.PutMeta("big", make([]byte, 2<<20)), ErrInvalid)
	if keys := s.rawKeys(t); len(keys) != before {
		t.Fatalf("refused writes left %d keys", len(keys)-before)
	}
}

// TestHolds: only the exact stored bytes of a position count as held.
func TestHolds(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(3, "note")
	appendAll(t, s, entries[:2], false)
	fork := c.variant(2, entries[0].Hash(), "fork")
	for _, tc := range []struct {
		name string
		seq  uint64
		raw  []byte
		want bool
	}{
		{"stored bytes", 2, entries[1].Bytes(), true},
		{"another entry at the position", 2, fork.Bytes(), false},
		{"bytes of another position", 1, entries[1].Bytes(), false},
		{"a position not stored", 3, entries[2].Bytes(), false},
		{"truncated bytes", 1, entries[0].Bytes()[:10], false},
	} {
		if got, err := s.Holds(c.author(), tc.seq, tc.raw); err != nil || got != tc.want {
			t.Errorf("%s: Holds = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
