package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
)

// registrySanity is the text Badger's key registry starts with, after a
// 16-byte IV, encrypted with the store's key in AES-CTR (in plaintext for
// a plaintext store): badger key_registry.go, validRegistry.
var registrySanity = []byte("Hello Badger")

// checkEncryptionKey compares key with the one the store in dir was
// created with, before Badger opens it: Badger finds the mismatch too,
// but only after starting goroutines it then leaves running.
func checkEncryptionKey(dir string, key []byte) error {
	f, err := os.Open(filepath.Join(dir, badger.KeyRegistryFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new store: Badger writes the registry
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, aes.BlockSize+len(registrySanity))
	if _, err := io.ReadFull(f, head); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, badger.KeyRegistryFileName, err)
	}
	iv, text := head[:aes.BlockSize], head[aes.BlockSize:]
	if len(key) > 0 {
		block, err := aes.NewCipher(key)
		if err != nil {
			return err
		}
		cipher.NewCTR(block, iv).XORKeyStream(text, text)
	}
	if !bytes.Equal(text, registrySanity) {
		return ErrEncryptionKey
	}
	return nil
}
