package node

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// vigilanceNotice is an ordinary notice: it changes no participant.
func vigilanceNotice(ref string, supersedes uint64) string {
	sup := ""
	if supersedes > 0 {
		sup = fmt.Sprintf(`"supersedes":{"seq":%d},`, supersedes)
	}
	return `{"version":1,"kind":"enhanced_vigilance","reference":"` + ref + `","issued":"2026-11-20",` + sup +
		`"title":"Bria zone","enhanced_vigilance":{"origin":"CF","from":"2026-11-20","measures":["inspect_shipments"]}}`
}

func publishNotice(t *testing.T, n *Node, body string) uint64 {
	t.Helper()
	p, err := n.Publish(context.Background(), protocol.NoticeType, []byte(body), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Seq
}

// indexedSeqs returns the seqs of the membership index, sorted.
func indexedSeqs(t *testing.T, n *Node) []uint64 {
	t.Helper()
	ps, err := n.indexedNotices()
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, p := range ps {
		out = append(out, p.seq)
	}
	slices.Sort(out)
	return out
}

// TestMembershipIndexHoldsOnlyMembershipNotices: the list is built from
// the index, which holds the status-change notice and the notices of its
// chain, never the ordinary notices, so a refresh reads those and not
// every notice; a correction that is no status change joins the index
// and the status change stops counting, as before the index.
func TestMembershipIndexHoldsOnlyMembershipNotices(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	for i := range 5 {
		publishNotice(t, za, vigilanceNotice(fmt.Sprintf("ZA-N-%d", i), 0))
	}
	s := publishNotice(t, za, cfSuspension)
	if got := indexedSeqs(t, za); !slices.Equal(got, []uint64{s}) {
		t.Fatalf("index holds seqs %v, want only the status change %d", got, s)
	}
	if e := participantEntryOf(t, za, "CF", "2014-01-01"); e.Status != protocol.StatusSuspended {
		t.Fatalf("the status change does not apply: %+v", e)
	}
	c := publishNotice(t, za, vigilanceNotice("KP-2013-01", s))
	if got := indexedSeqs(t, za); !slices.Equal(got, []uint64{s, c}) {
		t.Fatalf("index holds seqs %v, want the status change %d and its correction %d", got, s, c)
	}
	if e := participantEntryOf(t, za, "CF", "2014-01-01"); !e.Active() {
		t.Fatalf("a corrected status change still counts: %+v", e)
	}
}

// TestMembershipIndexBuiltForOldStore: a store written without the index
// (its keys and built marker deleted) gets it at the next load, with the
// whole chain of the status change, and the same list as before.
func TestMembershipIndexBuiltForOldStore(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	publishNotice(t, za, vigilanceNotice("ZA-N-1", 0))
	s := publishNotice(t, za, cfSuspension)
	c := publishNotice(t, za, vigilanceNotice("KP-2013-01", s))
	want := indexedSeqs(t, za)
	if !slices.Equal(want, []uint64{s, c}) {
		t.Fatalf("index holds seqs %v, want the status change %d and its correction %d", want, s, c)
	}
	before := participantEntryOf(t, za, "CF", "2014-01-01")
	if !before.Active() {
		t.Fatalf("a corrected status change still counts: %+v", before)
	}
	keys, err := za.st.MetaPrefix("participants/index")
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if err := za.st.DeleteMetaAudited(k, store.AuditEvent{Action: "test.drop-index"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := indexedSeqs(t, za); len(got) != 0 {
		t.Fatalf("index not dropped: %v", got)
	}
	if err := za.loadMembership(); err != nil {
		t.Fatal(err)
	}
	if got := indexedSeqs(t, za); !slices.Equal(got, want) {
		t.Fatalf("rebuilt index holds seqs %v, want %v", got, want)
	}
	if after := participantEntryOf(t, za, "CF", "2014-01-01"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("after the rebuild CF is %+v, was %+v", after, before)
	}
}

// TestMembershipIndexRebuiltAfterCrash: a node that stopped between
// storing a status-change notice and indexing it (simulated: its index
// key deleted, the marker left open as a running node keeps it) has the
// index built again at the next load; a clean close marks it complete.
func TestMembershipIndexRebuiltAfterCrash(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	publishNotice(t, za, vigilanceNotice("ZA-N-1", 0))
	s := publishNotice(t, za, cfSuspension)
	if err := za.st.DeleteMetaAudited(noticePos{za.id.Public(), s}.metaKey(), store.AuditEvent{Action: "test.drop-index"}); err != nil {
		t.Fatal(err)
	}
	if err := za.loadMembership(); err != nil {
		t.Fatal(err)
	}
	if got := indexedSeqs(t, za); !slices.Equal(got, []uint64{s}) {
		t.Fatalf("after a crash the index holds seqs %v, want %d", got, s)
	}
	if err := za.Close(); err != nil {
		t.Fatal(err)
	}
	v, err := za.st.GetMeta(membershipIndexBuiltKey)
	if err != nil || string(v) != string(membershipIndexClosed) {
		t.Fatalf("after Close the marker is %q (%v), want %q", v, err, membershipIndexClosed)
	}
}

// TestCorrectKeylessRecordAfterAnother: notices have no natural key, so
// a correction of one is never "a change of key to one this node holds",
// whatever other notice came after it (it was refused when the feed held
// a later notice: every keyless record shared the empty key).
func TestCorrectKeylessRecordAfterAnother(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	s := publishNotice(t, za, cfSuspension)
	publishNotice(t, za, vigilanceNotice("ZA-N-1", 0))
	publishNotice(t, za, vigilanceNotice("KP-2013-01", s))
	if e := participantEntryOf(t, za, "CF", "2014-01-01"); !e.Active() {
		t.Fatalf("a corrected status change still counts: %+v", e)
	}
}
