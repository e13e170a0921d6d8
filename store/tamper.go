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
	if err := tamperValue(dir, entryKey(author, seq), offset); err != nil {
		return fmt.Errorf("tamper entry %s #%d: %w", author, seq, err)
	}
	return nil
}

// TamperAudit flips one byte (XOR 0xff) of the stored value of audit
// record seq, at offset modulo its length (a negative offset counts from
// the end, where the details are), in the closed store in dir, as
// [TamperEntry] does for entries. [Store.VerifyAudit] then reports the
// chain broken at seq. For tests and incident drills only.
func TamperAudit(dir string, seq uint64, offset int) error {
	if err := tamperValue(dir, auditKey(seq), offset); err != nil {
		return fmt.Errorf("tamper audit record %d: %w", seq, err)
	}
	return nil
}

// tamperValue flips the byte at offset (modulo the length) of key's value.
func tamperValue(dir string, key []byte, offset int) error {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		return err
	}
	err = s.update(func(txn *badger.Txn) error {
		v, err := getValue(txn, key)
		if err != nil || len(v) == 0 {
			return err
		}
		i := (offset%len(v) + len(v)) % len(v)
		v[i] ^= 0xff
		return txn.Set(key, v)
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
