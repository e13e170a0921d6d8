package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// TestCheckCommitted checks that checkNew's verdict, which reads back only
// what a node committed since its previous check, still catches every
// loss the full read-back caught: a changed or lost boundary entry, a gap
// or a rewritten entry above it, a lost or changed acknowledged entry, and
// an acknowledged certificate in none of the new records.
func TestCheckCommitted(t *testing.T) {
	feed := fakeFeed(12, map[uint64][]string{3: {"C-1", "C-2"}, 9: {"C-3"}})
	fresh := func() *crashNode {
		n := &crashNode{code: "IN", acked: map[uint64]string{}}
		ack := func(seqs ...uint64) {
			for _, seq := range seqs {
				n.acked[seq] = feed[seq-1].Hash.String()
			}
		}
		ack(2, 3, 6)
		n.newCerts = []string{"C-1", "C-2"}
		if err := n.checkCommitted(feed[:6]); err != nil { // entries 1..6
			t.Fatalf("first check: %v", err)
		}
		ack(9, 11)
		n.newCerts = []string{"C-3"}
		return n
	}
	if n := fresh(); n.checked != 6 || n.checkCommitted(feed[5:]) != nil || n.checked != 12 {
		t.Fatalf("an intact feed read from the boundary fails or does not move it (checked %d)", n.checked)
	}
	rewritten := append([]node.FeedEntry(nil), feed[5:]...)
	rewritten[3] = fakeEntry(9, rewritten[2].Hash, "other bytes", nil) // entry 9 replaced, chained
	// Entries 9 to 12 signed again, chained: only their hashes tell.
	resigned := append([]node.FeedEntry(nil), feed[5:8]...)
	for seq := uint64(9); seq <= 12; seq++ {
		resigned = append(resigned, fakeEntry(seq, resigned[len(resigned)-1].Hash, "again", []string{"C-3"}))
	}
	changed := append([]node.FeedEntry(nil), feed[5:]...)
	changed[0].Hash[0] ^= 1
	for _, c := range []struct {
		name    string
		entries []node.FeedEntry
		want    string
	}{
		{"boundary lost", feed[6:], "the feed starts at 7"},
		{"boundary changed", changed, "entry 6, read back with hash"},
		{"nothing left", nil, "entry 6, read back with hash"},
		{"gap", append(append([]node.FeedEntry(nil), feed[5:8]...), feed[9:]...), "entry 10 does not follow entry 8"},
		{"rewritten", rewritten, "entry 10 does not follow entry 9"},
		{"re-signed", resigned, "acknowledged entry"},
		{"acknowledged entry lost", feed[5:10], "acknowledged entry 11"},
	} {
		n := fresh()
		err := n.checkCommitted(c.entries)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: checkCommitted = %v, want an error with %q", c.name, err, c.want)
		}
		if n.checked != 6 {
			t.Errorf("%s: a failed check moved the boundary to %d", c.name, n.checked)
		}
	}
	// A certificate missing from records whose entries still chain.
	n := fresh()
	n.newCerts = []string{"C-3", "C-4"}
	if err := n.checkCommitted(feed[5:]); err == nil || !strings.Contains(err.Error(), "certificate C-4") {
		t.Errorf("missing certificate: checkCommitted = %v", err)
	}
}

// fakeFeed returns a chained feed of n entries as the API lists them;
// certs gives the certificate numbers of the batch record of some seqs.
func fakeFeed(n int, certs map[uint64][]string) []node.FeedEntry {
	var feed []node.FeedEntry
	var prev protocol.Hash
	for seq := uint64(1); seq <= uint64(n); seq++ {
		e := fakeEntry(seq, prev, "entry", certs[seq])
		feed, prev = append(feed, e), e.Hash
	}
	return feed
}

// fakeEntry is an entry at seq after prev whose hash depends on content,
// with a batch record of certificates nums, or a notice.
func fakeEntry(seq uint64, prev protocol.Hash, content string, nums []string) node.FeedEntry {
	record := json.RawMessage(`{"version":1,"kind":"enhanced_vigilance"}`)
	if nums != nil {
		items := make([]map[string]string, len(nums))
		for i, num := range nums {
			items[i] = map[string]string{"number": num}
		}
		record, _ = json.Marshal(map[string]any{"version": 1, "type": "certificate", "items": items})
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%d %x %s", seq, prev, content))
	return node.FeedEntry{Author: "IN", Seq: seq, Hash: protocol.Hash(h), Prev: prev, Record: record}
}
