package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
)

// TamperEntry flips one byte (XOR 0xff) of the stored bytes of author's
// entry seq, at offset modulo their length, in the store directory dir,
// bypassing every check. It is for tests and incident drills only: it
// damages the store on purpose, so that [Store.Verify] and the readers of
// entries have something to find. The store must not be in use
// ([ErrLocked]); [ErrNotFound] when the entry is not stored.
func TamperEntry(dir string, author crypto.PublicKey, seq uint64, offset int) error {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		return fmt.Errorf("tamper entry: %w", err)
	}
	err = s.update(func(txn *badger.Txn) error {
		k := entryKey(author, seq)
		v, err := getValue(txn, k)
		if err != nil || len(v) == 0 {
			return err
		}
		i := (offset%len(v) + len(v)) % len(v)
		v[i] ^= 0xff
		return txn.Set(k, v)
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tamper entry %s #%d: %w", author, seq, err)
	}
	return nil
}
