package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// recoveryMeta is the metadata key that holds why the store is
// recovering; its absence means it is not.
const recoveryMeta = "recovery/reason"

// MarkRecovering records that the store was recovered (restored from a
// backup, for instance) and why: its own feed may be behind what partners
// hold, so the node must learn its own head from them before appending.
// reason must not be empty.
func (s *Store) MarkRecovering(reason string) error {
	if reason == "" {
		return fmt.Errorf("mark recovering: %w: empty reason", ErrInvalid)
	}
	return s.PutMeta(recoveryMeta, []byte(reason))
}

// Recovering reports whether the store is marked as recovering, and why.
func (s *Store) Recovering() (reason string, ok bool, err error) {
	v, err := s.GetMeta(recoveryMeta)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(v), true, nil
}

// ClearRecovering removes the mark set by [Store.MarkRecovering].
func (s *Store) ClearRecovering() error {
	err := s.update(func(txn *badger.Txn) error { return txn.Delete(metaKey(recoveryMeta)) })
	if err != nil {
		return fmt.Errorf("clear recovering: %w", err)
	}
	return nil
}
