package store

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// recordsFor returns recordFor of each entry, nil for every third one (an
// entry the node could not open).
func recordsFor(entries []*protocol.Entry) []*Record {
	recs := make([]*Record, len(entries))
	for i, e := range entries {
		if i%3 != 2 {
			recs[i] = recordFor(e)
		}
	}
	return recs
}

// TestAppendRunSameAsAppend: a run stores exactly what Append, one entry
// after the other, stores.
func TestAppendRunSameAsAppend(t *testing.T) {
	c := newChain(t)
	entries := c.build(40, "note")
	recs := recordsFor(entries)
	one, run := openMem(t), openMem(t)
	held := func() time.Time { return epoch.Add(time.Hour) } // the first-held times are the same
	one.now, run.now = held, held
	for i, e := range entries {
		if err := one.Append(e, recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.AppendRun(entries[:15], recs[:15]); err != nil {
		t.Fatal(err)
	}
	if err := run.AppendRun(entries[15:], recs[15:]); err != nil {
		t.Fatal(err)
	}
	if a, b := one.rawKeys(t), run.rawKeys(t); !maps.Equal(a, b) {
		t.Fatalf("stores differ: %d keys by Append, %d by AppendRun", len(a), len(b))
	}
	verifyClean(t, run, 1, len(entries))
}

// TestAppendRunAllOrNothing: a run holding one entry that is not a plain
// new append writes nothing at all, and says which entry and why.
func TestAppendRunAllOrNothing(t *testing.T) {
	c := newChain(t)
	entries := c.build(10, "note")
	fork := c.variant(5, entries[3].Hash(), "fork") // entry 5 of the run, forked
	broken := c.variant(7, entries[0].Hash(), "broken")
	for _, tc := range []struct {
		name string
		run  []*protocol.Entry
		want error
	}{
		{"already stored", entries[2:8], ErrExists},
		{"gap", append(append([]*protocol.Entry{}, entries[4:6]...), entries[7:]...), protocol.ErrSeqGap},
		{"equivocation", []*protocol.Entry{entries[4], fork}, ErrEquivocation},
		{"broken chain", []*protocol.Entry{entries[4], entries[5], broken}, protocol.ErrBrokenChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openMem(t)
			appendAll(t, s, entries[:4], true)
			before := s.rawKeys(t)
			err := s.AppendRun(tc.run, recordsFor(tc.run))
			wantErr(t, err, tc.want)
			if added := keysAdded(before, s.rawKeys(t)); len(added) > 0 {
				t.Fatalf("failed run wrote %q", added)
			}
			if eqs, _ := s.Equivocations(); len(eqs) != 0 {
				t.Fatalf("failed run kept evidence: %v", eqs)
			}
		})
	}
	s := openMem(t)
	before := s.rawKeys(t)
	s.failAppend = errors.New("injected failure")
	wantErr(t, s.AppendRun(entries[:3], recordsFor(entries[:3])), s.failAppend)
	s.failAppend = nil
	if added := keysAdded(before, s.rawKeys(t)); len(added) > 0 {
		t.Fatalf("failed run wrote %q", added)
	}
	wantErr(t, s.AppendRun(entries[:2], nil), ErrInvalid)
	wantErr(t, s.AppendRun([]*protocol.Entry{nil}, []*Record{nil}), ErrInvalid)
}
