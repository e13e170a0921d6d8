package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// The recovery flag says that this store does not know its own feed's
// latest head: it was restored from a backup, or created fresh around keys
// that already signed entries elsewhere. While it is set the node must not
// append to its own feed (docs/security.md, "Keys"): a key that signs
// before it has caught up signs a second entry at a position its partners
// already hold, and forks its feed for good.
//
// It is kept under the metadata key recoveringMeta as JSON.
const recoveringMeta = "recovering"

// Audit actions of the recovery flag, written in the transaction that sets
// or clears it.
const (
	AuditRecoveryStart = "recovery.start"
	AuditRecoveryEnd   = "recovery.end"
)

// maxRecoveryReason bounds the reason kept with the flag.
const maxRecoveryReason = 1024

type recoveringJSON struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// MarkRecovering flags the store as not knowing its own latest head, with
// a reason for the operator ("restored from backup …"). The flag survives
// restarts until [Store.ClearRecovering]. Marking a store already flagged
// replaces the reason and keeps the first time. The change is written to
// the audit log in the same transaction.
func (s *Store) MarkRecovering(reason string) error {
	if reason == "" || len(reason) > maxRecoveryReason {
		return fmt.Errorf("mark recovering: %w: the reason must be 1..%d bytes", ErrInvalid, maxRecoveryReason)
	}
	ev := AuditEvent{Action: AuditRecoveryStart, Details: map[string]any{"reason": reason}}
	_, err := s.updateAudited(&ev, func(txn *badger.Txn) error {
		r := recoveringJSON{Reason: reason, Since: s.now().UTC()}
		if old, ok, err := readRecovering(txn); err != nil {
			return err
		} else if ok {
			r.Since = old.Since
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return txn.Set(metaKey(recoveringMeta), v)
	})
	if err != nil {
		return fmt.Errorf("mark recovering: %w", err)
	}
	return nil
}

// Recovering reports whether the store is flagged by
// [Store.MarkRecovering], and why.
func (s *Store) Recovering() (reason string, ok bool, err error) {
	var r recoveringJSON
	err = s.view(func(txn *badger.Txn) error {
		r, ok, err = readRecovering(txn)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("read recovery flag: %w", err)
	}
	return r.Reason, ok, nil
}

// RecoveringSince returns when the flag was first set (the zero time when
// it is not set).
func (s *Store) RecoveringSince() (time.Time, error) {
	var r recoveringJSON
	err := s.view(func(txn *badger.Txn) error {
		var err error
		r, _, err = readRecovering(txn)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read recovery flag: %w", err)
	}
	return r.Since, nil
}

// ClearRecovering removes the flag, writing the change to the audit log in
// the same transaction. Clearing a store that is not flagged does nothing.
func (s *Store) ClearRecovering() error {
	reason, ok, err := s.Recovering()
	if err != nil || !ok {
		return err
	}
	ev := AuditEvent{Action: AuditRecoveryEnd, Details: map[string]any{"reason": reason}}
	_, err = s.updateAudited(&ev, func(txn *badger.Txn) error {
		return txn.Delete(metaKey(recoveringMeta))
	})
	if err != nil {
		return fmt.Errorf("clear recovering: %w", err)
	}
	return nil
}

func readRecovering(txn *badger.Txn) (recoveringJSON, bool, error) {
	var r recoveringJSON
	v, err := getValue(txn, metaKey(recoveringMeta))
	if errors.Is(err, ErrNotFound) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal(v, &r); err != nil || r.Reason == "" {
		return r, false, fmt.Errorf("%w: recovery flag value %q", ErrCorrupt, v)
	}
	return r, true, nil
}
