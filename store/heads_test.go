package store

import (
	"errors"
	"maps"
	"testing"

	"github.com/kpnode/kpnode/crypto"
)

// TestCachedHeadsMatchBadger: after appends one by one and in a run, a
// refused gap, an equivocation kept as evidence, a failed append and a
// truncation, the cached heads are what Badger holds.
func TestCachedHeadsMatchBadger(t *testing.T) {
	s := openMem(t)
	a, b := newChain(t), newChain(t)
	check := func(step string) {
		t.Helper()
		cached, err := s.Heads()
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.loadHeads()
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(cached, stored) {
			t.Fatalf("%s: cached heads %v, Badger holds %v", step, cached, stored)
		}
		for _, k := range []crypto.PublicKey{a.author(), b.author()} {
			if h, err := s.Head(k); err != nil || h != stored[k] {
				t.Fatalf("%s: Head = %v, %v; Badger holds %v", step, h, err, stored[k])
			}
		}
	}
	check("empty")
	appendAll(t, s, a.build(3, "notice"), true)
	check("appends")
	if err := s.AppendRun(b.build(4, "notice"), make([]*Record, 4)); err != nil {
		t.Fatal(err)
	}
	check("run")
	a.build(1, "notice")
	if err := s.Append(a.next("notice", 64), nil); err == nil {
		t.Fatal("a gap was appended")
	}
	check("gap")
	seq, _ := a.head()
	if err := s.Append(a.variant(2, a.entries[0].Hash(), "fork"), nil); err == nil {
		t.Fatal("a fork was appended")
	}
	check("equivocation")
	s.failAppend = errors.New("injected failure")
	if err := s.Append(a.entries[3], nil); err == nil {
		t.Fatal("failAppend did not fail the append")
	}
	s.failAppend = nil
	check("failed append")
	appendAll(t, s, a.entries[3:seq], true)
	check("appends after")
	if _, err := s.TruncateFeed(b.author(), 2, "after_compromise"); err != nil {
		t.Fatal(err)
	}
	check("truncation")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Head(a.author()); err == nil {
		t.Fatal("Head answered on a closed store")
	}
}
