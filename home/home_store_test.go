package home

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
)

// TestOpenStoreRefusals: a home refuses to start from a store that was
// removed, replaced by an empty one, swapped for another home's, or
// damaged, and says what to do; nothing is created in its place.
func TestOpenStoreRefusals(t *testing.T) {
	newHome := func(t *testing.T) Home {
		dir := filepath.Join(t.TempDir(), "home")
		if _, err := InitHome(dir, node.DefaultConfig("IN", "India"), InitOptions{}); err != nil {
			t.Fatal(err)
		}
		return Home{Dir: dir}
	}
	open := func(h Home) error {
		st, err := h.OpenStore(nil)
		if err == nil {
			st.Close()
		}
		return err
	}
	t.Run("fresh home opens", func(t *testing.T) {
		if err := open(newHome(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		h := newHome(t)
		os.RemoveAll(h.StoreDir())
		err := open(h)
		if !errors.Is(err, ErrStoreMissing) || !strings.Contains(err.Error(), "kpnode restore") {
			t.Fatalf("got %v, want ErrStoreMissing with a hint", err)
		}
		if _, err := os.Stat(h.StoreDir()); err == nil {
			t.Fatal("a store was created in place of the missing one")
		}
	})
	t.Run("emptied", func(t *testing.T) {
		h := newHome(t)
		os.RemoveAll(h.StoreDir())
		os.Mkdir(h.StoreDir(), 0o700)
		if err := open(h); !errors.Is(err, ErrStoreReplaced) {
			t.Fatalf("got %v, want ErrStoreReplaced", err)
		}
	})
	t.Run("another home's store", func(t *testing.T) {
		h, other := newHome(t), newHome(t)
		os.RemoveAll(h.StoreDir())
		if err := os.Rename(other.StoreDir(), h.StoreDir()); err != nil {
			t.Fatal(err)
		}
		if err := open(h); !errors.Is(err, ErrStoreReplaced) {
			t.Fatalf("got %v, want ErrStoreReplaced", err)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		h := newHome(t)
		if err := os.WriteFile(filepath.Join(h.StoreDir(), "MANIFEST"), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := open(h); !errors.Is(err, ErrStoreDamaged) || !strings.Contains(err.Error(), "kpnode verify") {
			t.Fatalf("got %v, want ErrStoreDamaged with a hint", err)
		}
	})
	t.Run("home from before store.id", func(t *testing.T) {
		h := newHome(t)
		os.Remove(h.StoreIDPath())
		if err := open(h); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(h.StoreIDPath()); err != nil || len(strings.TrimSpace(string(b))) != 32 {
			t.Fatalf("store.id not rewritten: %q %v", b, err)
		}
		if err := open(h); err != nil {
			t.Fatal(err)
		}
	})
}
