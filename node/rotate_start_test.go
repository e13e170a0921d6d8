package node

import (
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// TestRepinTruncationFinishedAtStart checks that a node started on a store
// where a partner's retired feed runs past its last valid seq (a crash
// between a re-pin and its truncation) takes the extra entries out.
func TestRepinTruncationFinishedAtStart(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	thief, ae, be := testNode(t, "BE"), testNode(t, "AE"), testNode(t, "BE")
	pin(t, thief, ae) // a partner to address
	for range 3 {
		if _, err := thief.Publish(t.Context(), "notice", noticeBy(t, "BE"), []string{"all"}); err != nil {
			t.Fatal(err)
		}
	}
	raws, err := thief.st.RawEntries(thief.id.Public(), 1, 0)
	if err != nil || len(raws) != 3 {
		t.Fatalf("thief's feed: %d, %v", len(raws), err)
	}
	for _, r := range raws {
		e, err := protocol.DecodeEntry(r.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Append(e, nil); err != nil {
			t.Fatal(err)
		}
	}
	oldCard, _ := thief.Card()
	newCard, _ := be.Card()
	p := store.Partner{Code: "BE", Card: newCard.Bytes(), Key: be.id.Public(),
		Retired: []store.RetiredKey{{Key: thief.id.Public(), Card: oldCard.Bytes(), ValidThrough: 1, Reason: RetiredCompromised}}}
	if err := st.PutPartner(p); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig("IN", "Authority IN")
	n, err := New(cfg, newID(t), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if h, _ := st.Head(thief.id.Public()); h.Seq != 1 {
		t.Fatalf("retired feed head %d after start, want 1", h.Seq)
	}
	if refused, _ := st.Refused(); len(refused) != 2 {
		t.Fatalf("%d refused entries kept, want 2", len(refused))
	}
}

func newID(t *testing.T) *crypto.Identity {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
