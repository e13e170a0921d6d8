package home

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kpnode/kpnode/store"
)

// storeIDMeta is the store metadata key of the store's identity, which
// the home's store.id file repeats.
const storeIDMeta = store.StoreIDMeta

// StoreIDPath is the file that names the home's store.
func (h Home) StoreIDPath() string { return filepath.Join(h.Dir, "store.id") }

// OpenStore opens the home's store, refusing to start from a store that
// is missing, damaged, or not the one this home was created with: an
// empty store in place of a lost one would make the node publish from
// seq 1 again (forking its feed) and forget what its partners sent. The
// home's store.id file and the store's own metadata carry the same random
// identity; homes made before store.id existed get one on first open.
func (h Home) OpenStore(log *slog.Logger) (*store.Store, error) {
	return h.OpenStoreReserve(log, 0)
}

// OpenStoreReserve is [Home.OpenStore] keeping minFree bytes free on the
// store's disk ([store.Options.MinFree]; 0 is the default reserve).
func (h Home) OpenStoreReserve(log *slog.Logger, minFree int64) (*store.Store, error) {
	want, err := os.ReadFile(h.StoreIDPath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", h.StoreIDPath(), err)
	}
	want = bytes.TrimSpace(want)
	if _, err := os.Stat(h.StoreDir()); errors.Is(err, fs.ErrNotExist) && len(want) > 0 {
		return nil, fmt.Errorf("%w: %s does not exist; restore it from a backup (kpnode restore) or move it back", ErrStoreMissing, h.StoreDir())
	}
	opts, err := h.storeOptions()
	if err != nil {
		return nil, err
	}
	opts.Logger, opts.MinFree = log, minFree
	st, err := store.Open(opts)
	if errors.Is(err, store.ErrEncryptionKey) {
		return nil, h.keyMismatch(err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w; run kpnode verify --home %s, and restore from a backup if it cannot be read", ErrStoreDamaged, h.StoreDir(), err, h.Dir)
	}
	if err := h.checkStoreID(st, string(want)); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// checkStoreID compares the store's identity with want (the home's
// store.id, "" when absent) and records a new identity where neither has
// one.
func (h Home) checkStoreID(st *store.Store, want string) error {
	got, err := st.GetMeta(storeIDMeta)
	switch {
	case errors.Is(err, store.ErrNotFound) && want != "":
		return fmt.Errorf("%w: %s was created afresh (it has no identity, the home expects %s); restore the home's store from a backup", ErrStoreReplaced, h.StoreDir(), want)
	case errors.Is(err, store.ErrNotFound):
		return h.newStoreID(st)
	case err != nil:
		return err
	case want == "":
		return os.WriteFile(h.StoreIDPath(), append(got, '\n'), 0o600)
	case string(got) != want:
		return fmt.Errorf("%w: %s is store %s, the home expects %s; put the home's own store back", ErrStoreReplaced, h.StoreDir(), got, want)
	}
	return nil
}

func (h Home) newStoreID(st *store.Store) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	id := hex.EncodeToString(b)
	if err := st.PutMeta(storeIDMeta, []byte(id)); err != nil {
		return err
	}
	return os.WriteFile(h.StoreIDPath(), []byte(id+"\n"), 0o600)
}
