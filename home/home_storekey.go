package home

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// StoreKeyPath is the file that holds the store's encryption key, wrapped
// with the node passphrase (age scrypt), 0600. Only encrypted stores have
// one.
func (h Home) StoreKeyPath() string { return filepath.Join(h.Dir, "store.key") }

// Encrypted reports whether the home's store is encrypted at rest (it has
// a store.key).
func (h Home) Encrypted() bool {
	_, err := os.Lstat(h.StoreKeyPath())
	return err == nil
}

// Unlock returns h able to open its encrypted store: it unwraps store.key
// with the node passphrase. A home without store.key is returned as it is,
// whatever the passphrase.
func (h Home) Unlock(passphrase crypto.Secret) (Home, error) {
	if !h.Encrypted() {
		return h, nil
	}
	key, err := crypto.ReadProtectedFile(h.StoreKeyPath(), passphrase)
	if err != nil {
		return h, fmt.Errorf("unlock the store: %w", err)
	}
	if len(key) != store.EncryptionKeySize {
		return h, fmt.Errorf("unlock the store: %s holds %d bytes, want %d: %w", h.StoreKeyPath(), len(key), store.EncryptionKeySize, crypto.ErrMalformedKeyFile)
	}
	h.storeKey = key
	return h, nil
}

// NewStoreKey writes a new random store key to the home's store.key,
// wrapped with opts.Passphrase (required), and returns h unlocked with it.
// It refuses to replace an existing store.key.
func (h Home) NewStoreKey(opts crypto.KeyFileOptions) (Home, error) {
	key := make([]byte, store.EncryptionKeySize)
	if _, err := rand.Read(key); err != nil {
		return h, err
	}
	if err := crypto.WriteProtectedFile(h.StoreKeyPath(), key, opts); err != nil {
		return h, fmt.Errorf("write the store key: %w", err)
	}
	h.storeKey = key
	return h, nil
}

// storeOptions returns the options that open the home's store, refusing
// when the store is encrypted and h is not unlocked.
func (h Home) storeOptions() (store.Options, error) {
	if h.storeKey == nil && h.Encrypted() {
		return store.Options{}, fmt.Errorf("%w (%s); pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE", ErrStoreKeyNeeded, h.StoreKeyPath())
	}
	return store.Options{Dir: h.StoreDir(), EncryptionKey: h.storeKey}, nil
}

// keyMismatch explains an [store.ErrEncryptionKey] refusal.
func (h Home) keyMismatch(err error) error {
	if h.storeKey == nil {
		return fmt.Errorf("%w: %s is encrypted but the home has no store.key: %w; put the home's store.key back (from where you keep the home's key files)", ErrStoreKeyMismatch, h.StoreDir(), err)
	}
	return fmt.Errorf("%w: %s does not open with %s: %w; put back the store.key that belongs to this store", ErrStoreKeyMismatch, h.StoreDir(), h.StoreKeyPath(), err)
}
