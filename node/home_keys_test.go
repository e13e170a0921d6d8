package node

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// TestFinishRotation checks the restart after a crash in the middle of a
// rotation: a staged key whose hand-over was signed becomes the node's
// key, one whose hand-over never happened is dropped.
func TestFinishRotation(t *testing.T) {
	for _, signed := range []bool{true, false} {
		h := Home{Dir: t.TempDir()}
		old, next := newID(t), newID(t)
		if err := crypto.WriteKeyFile(h.KeyPath(), old, crypto.KeyFileOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := (HomeKeys{Home: h}).Stage(next); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(store.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		if signed {
			b, _ := json.Marshal([]ownRetired{{Key: old.Public(), ValidThrough: 7}})
			if err := st.PutMeta(metaRetiredOwn, b); err != nil {
				t.Fatal(err)
			}
		}
		got, err := FinishRotation(h, st, old, nil)
		st.Close()
		want := map[bool]*crypto.Identity{true: next, false: old}[signed]
		if err != nil || got.Public() != want.Public() {
			t.Fatalf("signed=%v: runs with %v, %v", signed, got, err)
		}
		onDisk, err := h.ReadIdentity(nil)
		if err != nil || onDisk.Public() != want.Public() {
			t.Fatalf("signed=%v: identity.key holds the wrong key (%v)", signed, err)
		}
		if _, err := os.Stat(h.NextKeyPath()); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("signed=%v: staged key left behind: %v", signed, err)
		}
		retired, err := h.ReadRetiredIdentities(nil)
		if err != nil || (signed && (len(retired) != 1 || retired[0].Public() != old.Public())) || (!signed && len(retired) != 0) {
			t.Fatalf("signed=%v: retired keys %d, %v", signed, len(retired), err)
		}
	}
}

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
