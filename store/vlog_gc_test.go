package store

import (
	"bytes"
	"testing"
)

// Entries and records of a store on disk live in the value log; they read
// back and verify across a reopen, a garbage-collection pass rewrites what
// it must without losing any, and Close stops the collector.
func TestValueLogHoldsEntriesAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	es := newChain(t).build(300, "note")
	appendAll(t, s, es, true)
	for range 50 { // garbage: a meta value rewritten, each above the threshold
		if err := s.PutMeta("card", bytes.Repeat([]byte{'c'}, 2*valueThreshold)); err != nil {
			t.Fatal(err)
		}
	}
	s.collectValueLog(make(chan struct{}))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	rep, err := s.Verify(t.Context())
	if err != nil || !rep.OK() || rep.Entries != len(es) || rep.Records != len(es) {
		t.Fatalf("verify after reopen: %+v, %v", rep, err)
	}
	got, err := s.Entry(es[0].Author, 150)
	if err != nil || !bytes.Equal(got.Bytes(), es[149].Bytes()) {
		t.Fatalf("entry 150 after reopen: %v", err)
	}
}
