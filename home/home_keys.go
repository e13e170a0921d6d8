package home

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// HomeKeys is the [node.KeyVault] of a home:
//
//	keys/next.key              the staged new key, during a rotation
//	keys/retired/<FPR>.key     each retired key, 0600, same passphrase
type HomeKeys struct {
	Home Home
	Opts crypto.KeyFileOptions // the passphrase of identity.key, if any
}

// Key paths inside a home.
func (h Home) NextKeyPath() string   { return filepath.Join(h.Dir, "keys", "next.key") }
func (h Home) RetiredKeyDir() string { return filepath.Join(h.Dir, "keys", "retired") }

// Stage writes next to keys/next.key, replacing a stale one.
func (k HomeKeys) Stage(next *crypto.Identity) error {
	if err := os.MkdirAll(k.Home.RetiredKeyDir(), 0o700); err != nil {
		return fmt.Errorf("stage new key: %w", err)
	}
	if err := os.Remove(k.Home.NextKeyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stage new key: %w", err)
	}
	return crypto.WriteKeyFile(k.Home.NextKeyPath(), next, k.Opts)
}

// Commit moves identity.key to keys/retired/<old fingerprint>.key and
// keys/next.key to identity.key. A crash between the two renames leaves
// no identity.key; [FinishRotation] completes it at the next start.
func (k HomeKeys) Commit(old, next *crypto.Identity) error {
	retired := filepath.Join(k.Home.RetiredKeyDir(), old.Fingerprint()+".key")
	if err := os.Rename(k.Home.KeyPath(), retired); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("retire the old key file: %w", err)
	}
	if err := os.Rename(k.Home.NextKeyPath(), k.Home.KeyPath()); err != nil {
		return fmt.Errorf("put the new key file in place: %w", err)
	}
	return syncDir(k.Home.Dir)
}

// ReadRetiredIdentities reads every key in keys/retired.
func (h Home) ReadRetiredIdentities(passphrase crypto.Secret) ([]*crypto.Identity, error) {
	paths, err := filepath.Glob(filepath.Join(h.RetiredKeyDir(), "*.key"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []*crypto.Identity
	for _, p := range paths {
		id, err := crypto.ReadKeyFile(p, passphrase)
		if err != nil {
			return nil, fmt.Errorf("retired key %s: %w", filepath.Base(p), err)
		}
		out = append(out, id)
	}
	return out, nil
}

// FinishRotation completes, at start, a rotation that a crash interrupted.
// It returns the identity to run with: next when the store shows that id
// already signed its hand-over (the key files are then swapped), else id
// (a staged key of a rotation that never signed is removed).
func FinishRotation(h Home, st *store.Store, id *crypto.Identity, passphrase crypto.Secret) (*crypto.Identity, error) {
	next, err := crypto.ReadKeyFile(h.NextKeyPath(), passphrase)
	if errors.Is(err, fs.ErrNotExist) {
		return id, nil
	}
	if err != nil {
		return nil, fmt.Errorf("staged key %s: %w", h.NextKeyPath(), err)
	}
	done, err := handedOver(st, id)
	if err != nil {
		return nil, err
	}
	if !done {
		return id, os.Remove(h.NextKeyPath())
	}
	if err := (HomeKeys{Home: h, Opts: crypto.KeyFileOptions{Passphrase: passphrase}}).Commit(id, next); err != nil {
		return nil, err
	}
	return next, nil
}

// handedOver reports whether id is among the store's retired own keys.
func handedOver(st *store.Store, id *crypto.Identity) (bool, error) {
	rs, err := st.OwnRetiredKeys()
	return slices.ContainsFunc(rs, func(r store.OwnRetiredKey) bool { return r.Key == id.Public() }), err
}
