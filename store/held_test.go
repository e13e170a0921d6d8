package store

import (
	"testing"
	"time"
)

// TestFirstHeld: an entry appended alone or in a run keeps when this node
// first held it, by the store's clock, whatever time its author signed;
// appending it again changes nothing; Records reads it too.
func TestFirstHeld(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	first := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return first }
	es := c.build(3, "note")
	if err := s.Append(es[0], recordFor(es[0])); err != nil {
		t.Fatal(err)
	}
	later := first.Add(48 * time.Hour)
	s.now = func() time.Time { return later }
	if err := s.AppendRun(es[1:], []*Record{recordFor(es[1]), recordFor(es[2])}); err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return later.Add(time.Hour) }
	wantErr(t, s.Append(es[0], recordFor(es[0])), ErrExists)
	for i, want := range []time.Time{first, later, later} {
		r, err := s.Record(c.author(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Held.Equal(want) || !r.Time.Equal(es[i].Time) {
			t.Errorf("entry %d: held %v signed %v, want held %v signed %v", i+1, r.Held, r.Time, want, es[i].Time)
		}
	}
	recs, err := s.Records(RecordQuery{Type: "note"})
	if err != nil || len(recs) != 3 || recs[0].Held.IsZero() {
		t.Fatalf("Records: %d records, %v; want 3 with their first-held time", len(recs), err)
	}
	// A malformed first-held value is corruption, named.
	if err := s.setKey(heldKey(c.author(), 1), []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(c.author(), 1); err == nil {
		t.Error("a 2-byte first-held time was read")
	}
}
