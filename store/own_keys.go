package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kpnode/kpnode/crypto"
)

// metaOwnRetired keys the list of the node's own retired keys (JSON):
// each feed stays the node's, closed after its hand-over.
const metaOwnRetired = "keys/retired"

// OwnRetiredKey is one of the node's own retired keys: its feed ends at
// the hand-over entry it signed.
type OwnRetiredKey struct {
	Key          crypto.PublicKey `json:"key"`
	ValidThrough uint64           `json:"valid_through"` // the hand-over's seq
}

// OwnRetiredKeys returns the node's own retired keys, oldest first; none
// before the first rotation.
func (s *Store) OwnRetiredKeys() ([]OwnRetiredKey, error) {
	b, err := s.GetMeta(metaOwnRetired)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []OwnRetiredKey
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, metaOwnRetired, err)
	}
	return out, nil
}

// PutOwnRetiredKeys replaces the node's own retired keys with rs and
// appends ev to the audit log in the same transaction.
func (s *Store) PutOwnRetiredKeys(rs []OwnRetiredKey, ev AuditEvent) error {
	b, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	return s.PutMetaAudited(metaOwnRetired, b, ev)
}
