package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// TestRecordsShareTheirFeedNames checks that the records of one feed
// share its key and chain position, however many copies of the key the
// caller made (a node makes one per record), and keep none of the
// caller's; and that two keys of one participant stay two feeds.
func TestRecordsShareTheirFeedNames(t *testing.T) {
	s := newState(t, "IN")
	keyA, keyB := strings.Repeat("a", 32), strings.Repeat("b", 32)
	var rs []Record
	var given []string
	for i := 1; i <= 6; i++ {
		key := strings.Clone(keyA)
		if i > 3 {
			key = strings.Clone(keyB)
		}
		given = append(given, key)
		c := newCert("IN", fmt.Sprintf("IN%07d", i), "BE", "2026-01-10", line("7102.31", "100.00", "15000.00"))
		rs = append(rs, Record{Ref: RecordRef{Feed: "IN", Seq: uint64(i)}, FeedKey: key, Body: c})
	}
	s.AddAll(rs)
	var recs []*rec
	for i := 1; i <= 6; i++ {
		recs = append(recs, s.lookupSlot("IN", fmt.Sprintf("IN%07d", i)).certs[0])
	}
	for i, r := range recs {
		l := s.chains.at.get(r.pos())
		if l == nil || l.pos != r.pos() {
			t.Fatalf("record %d: not in the chains at %+v", i+1, r.pos())
		}
		if unsafe.StringData(r.feed.key) == unsafe.StringData(given[i]) {
			t.Fatalf("record %d keeps the caller's key", i+1)
		}
		first := recs[i/3*3]
		if unsafe.StringData(r.feed.key) != unsafe.StringData(first.feed.key) || unsafe.StringData(l.pos.Feed) != unsafe.StringData(s.chains.at.get(first.pos()).pos.Feed) {
			t.Fatalf("record %d does not share its feed's key or position with record %d", i+1, i/3*3+1)
		}
	}
	if recs[0].feed.key == recs[3].feed.key || recs[0].pos().Feed == recs[3].pos().Feed {
		t.Fatal("two keys of IN were taken for one feed")
	}
}
