package store

import (
	"bytes"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// GetMeta returns the node metadata value under key (for example
// "self/last-append"), or [ErrNotFound].
func (s *Store) GetMeta(key string) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("read meta: %w: empty key", ErrInvalid)
	}
	var v []byte
	err := s.view(func(txn *badger.Txn) error {
		var err error
		v, err = getValue(txn, metaKey(key))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read meta %q: %w", key, err)
	}
	return v, nil
}

// PutMeta stores an opaque node metadata value under key, replacing any.
func (s *Store) PutMeta(key string, v []byte) error {
	if err := s.checkMeta(key, v); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		return txn.Set(metaKey(key), bytes.Clone(v))
	})
	if err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

// PutMetaInReserve is [Store.PutMeta] that writes while the store keeps
// its reserve (where PutMeta fails with [ErrFull]): for the few bytes of
// bookkeeping a node's consistency needs at start-up (a marker saying an
// index may be stale), never for data. Values are at most 64 bytes; the
// reserve ([DefaultMinFree]) is millions of times that. A disk with no
// space at all still fails it with ErrFull.
func (s *Store) PutMetaInReserve(key string, v []byte) error {
	if err := s.checkMeta(key, v); err != nil {
		return err
	}
	if len(v) > 64 {
		return fmt.Errorf("write meta %q in the reserve: %w: %d bytes, at most 64", key, ErrInvalid, len(v))
	}
	err := s.updateSpace(false, func(txn *badger.Txn) error {
		return txn.Set(metaKey(key), bytes.Clone(v))
	})
	if err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

// PutMetaAudited is [Store.PutMeta] that appends ev to the audit log in
// the same transaction and syncs both to disk.
func (s *Store) PutMetaAudited(key string, v []byte, ev AuditEvent) error {
	if err := s.checkMeta(key, v); err != nil {
		return err
	}
	_, err := s.updateAudited(&ev, func(txn *badger.Txn) error {
		return txn.Set(metaKey(key), bytes.Clone(v))
	})
	if err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

func (s *Store) checkMeta(key string, v []byte) error {
	if key == "" {
		return fmt.Errorf("write meta: %w: empty key", ErrInvalid)
	}
	if err := s.checkSize("meta value", len(v)); err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

// MetaPrefix returns every node metadata value whose key starts with
// prefix, by key.
func (s *Store) MetaPrefix(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	start := metaKey(prefix)
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: start})
		defer it.Close()
		for it.Seek(start); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[len(start)-len(prefix):])] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read meta %q…: %w", prefix, err)
	}
	return out, nil
}

// DeleteMetaAudited removes the node metadata value under key (nothing if
// there is none) and appends ev to the audit log in the same transaction,
// synced to disk.
func (s *Store) DeleteMetaAudited(key string, ev AuditEvent) error {
	if key == "" {
		return fmt.Errorf("delete meta: %w: empty key", ErrInvalid)
	}
	_, err := s.updateAudited(&ev, func(txn *badger.Txn) error {
		return txn.Delete(metaKey(key))
	})
	if err != nil {
		return fmt.Errorf("delete meta %q: %w", key, err)
	}
	return nil
}
