package home

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/kpnode/kpnode/crypto"
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
			if err := st.PutOwnRetiredKeys([]store.OwnRetiredKey{{Key: old.Public(), ValidThrough: 7}}, store.AuditEvent{Action: "keys.rotate"}); err != nil {
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

func newID(t *testing.T) *crypto.Identity {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
