package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestTruncateFeedKeepsEvidence(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	entries := c.build(300, "note")
	for _, e := range entries {
		rec := recordFor(e)
		rec.Keys = []RecordKey{{Key: fmt.Sprintf("note/%d", e.Seq)}}
		if err := s.Append(e, rec); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.TruncateFeed(c.author(), 40, "after_compromise")
	if err != nil || n != 260 {
		t.Fatalf("truncate: %d, %v; want 260 taken out", n, err)
	}
	h, err := s.Head(c.author())
	if err != nil || h.Seq != 40 || h.Hash != entries[39].Hash() || !h.Time.Equal(entries[39].Time) {
		t.Fatalf("head after truncate %+v, %v; want entry 40", h, err)
	}
	if _, err := s.Entry(c.author(), 41); !errors.Is(err, ErrNotFound) {
		t.Fatalf("entry 41 still in the feed: %v", err)
	}
	if _, err := s.Record(c.author(), 300); !errors.Is(err, ErrNotFound) {
		t.Fatalf("record 300 still stored: %v", err)
	}
	if refs, _ := s.LookupKey("note/41"); len(refs) != 0 {
		t.Fatalf("natural key of a removed record still indexed: %v", refs)
	}
	if refs, _ := s.LookupKey("note/40"); len(refs) != 1 {
		t.Fatalf("natural key of a kept record lost: %v", refs)
	}
	refused, err := s.Refused()
	if err != nil || len(refused) != 260 || refused[0].Seq != 41 || refused[0].Reason != "after_compromise" {
		t.Fatalf("refused evidence: %d entries, %v", len(refused), err)
	}
	if string(refused[259].Bytes) != string(entries[299].Bytes()) {
		t.Fatal("evidence does not hold the entry's bytes verbatim")
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("verify after truncate: %+v, %v", rep.Problems, err)
	}
	// The feed continues from the new head; the removed seq is free again.
	if err := s.Append(c.variant(41, entries[39].Hash(), "after"), nil); err != nil {
		t.Fatalf("append after truncate: %v", err)
	}
	if n, err := s.TruncateFeed(c.author(), 41, "after_compromise"); err != nil || n != 0 {
		t.Fatalf("truncate at the head: %d, %v", n, err)
	}
}

func TestPartnerRetiredKeysRoundTrip(t *testing.T) {
	s := openMem(t)
	old, cur := newChain(t), newChain(t)
	p := Partner{Code: "BE", Card: []byte(`{}`), Key: cur.author(),
		Retired: []RetiredKey{{Key: old.author(), Card: []byte(`{"old":1}`), ValidThrough: 7, Reason: "rotated"}}}
	if err := s.PutPartner(p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Partner("BE")
	if err != nil || len(got.Retired) != 1 || got.Retired[0].Key != old.author() || got.Retired[0].ValidThrough != 7 || string(got.Retired[0].Card) != `{"old":1}` {
		t.Fatalf("retired keys after round trip: %+v, %v", got.Retired, err)
	}
}
