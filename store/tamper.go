package store

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
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

// PlantEntries stores raws, entries of one feed in seq order, in the
// closed store in dir without any check, moves the feed's head to the
// last, and clears the mark that every entry verifies on its own
// signature: the store is then as a kpnode before issue 13 could leave
// it, having taken the inner entries of a sync frame on a later entry's
// signature. For tests and incident drills only.
func PlantEntries(dir string, raws ...[]byte) error {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		return err
	}
	err = s.update(func(txn *badger.Txn) error { return plantTxn(txn, raws) })
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("plant entries: %w", err)
	}
	return nil
}

func plantTxn(txn *badger.Txn, raws [][]byte) error {
	for _, raw := range raws {
		if len(raw) < protocol.MinEntrySize {
			return fmt.Errorf("%w: %d bytes is no entry", ErrInvalid, len(raw))
		}
		var a crypto.PublicKey
		copy(a[:], raw[1:33])
		seq := uint64FromBE(raw[33:41])
		h := Head{Seq: seq, Hash: hashBytes(raw), Time: time.Unix(0, int64(uint64FromBE(raw[73:81]))).UTC()}
		if err := errors.Join(txn.Set(entryKey(a, seq), bytes.Clone(raw)), txn.Set(headKey(a), encodeHead(h))); err != nil {
			return err
		}
	}
	return txn.Delete(metaKey(metaSignaturesChecked))
}
