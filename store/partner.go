package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
)

// Partner is a pinned partner: its participant card, kept as the exact
// signed bytes so it can be re-verified, and what the operator set.
type Partner struct {
	Code         string           // participant code, the partner's identity in this store
	Card         []byte           // the signed card bytes, verbatim
	Key          crypto.PublicKey // the partner's Ed25519 key, from the card
	Added        time.Time        // when the operator added it
	AddrOverride []string         // addresses to dial instead of the card's
	Paused       bool             // the operator paused the link: no connection until resumed
	Removed      bool             // a tombstone: the operator removed it
	RemovedAt    time.Time
	// Retired are the partner's earlier keys, oldest first: each feed is
	// kept and verified with its key up to ValidThrough, and nothing later
	// signed by that key is accepted.
	Retired []RetiredKey
}

// RetiredKey is a key a partner used before its current one.
type RetiredKey struct {
	Key  crypto.PublicKey `json:"key"`
	Card []byte           `json:"card"` // the signed card it was pinned with
	// ValidThrough is the last seq of the key's feed that is accepted: the
	// hand-over entry of a rotation, or the seq the operator stated when
	// re-pinning after a compromise.
	ValidThrough uint64    `json:"valid_through"`
	Reason       string    `json:"reason"` // "rotated" or "compromised"
	Retired      time.Time `json:"retired"`
}

// partnerJSON is the stored form of a Partner (layout 1).
type partnerJSON struct {
	Code         string       `json:"code"`
	Card         []byte       `json:"card"`
	Key          []byte       `json:"key"`
	Added        time.Time    `json:"added"`
	AddrOverride []string     `json:"addr_override,omitempty"`
	Paused       bool         `json:"paused,omitempty"`
	Removed      bool         `json:"removed,omitempty"`
	RemovedAt    time.Time    `json:"removed_at,omitzero"`
	Retired      []RetiredKey `json:"retired,omitempty"`
}

func encodePartner(p Partner) ([]byte, error) {
	return json.Marshal(partnerJSON{
		Code: p.Code, Card: p.Card, Key: p.Key[:], Added: p.Added,
		AddrOverride: p.AddrOverride, Paused: p.Paused, Removed: p.Removed, RemovedAt: p.RemovedAt,
		Retired: p.Retired,
	})
}

func decodePartner(v []byte) (Partner, error) {
	var j partnerJSON
	if err := json.Unmarshal(v, &j); err != nil {
		return Partner{}, fmt.Errorf("%w: partner value: %v", ErrCorrupt, err)
	}
	p := Partner{Code: j.Code, Card: j.Card, Added: j.Added, AddrOverride: nonEmpty(j.AddrOverride), Paused: j.Paused, Removed: j.Removed, RemovedAt: j.RemovedAt, Retired: nonEmpty(j.Retired)}
	if len(j.Key) != len(p.Key) {
		return Partner{}, fmt.Errorf("%w: partner %s key is %d bytes", ErrCorrupt, j.Code, len(j.Key))
	}
	copy(p.Key[:], j.Key)
	return p, nil
}

// nonEmpty is s, or nil when s is empty: an empty list is stored as no
// list (omitempty), so it must read as none.
func nonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// PutPartner inserts p or replaces the partner with the same code,
// tombstone included: it is the operator's explicit (re-)add. A zero Added
// keeps the stored one (or becomes now). The store itself never undoes a
// removal.
func (s *Store) PutPartner(p Partner) error { return s.putPartner(p, nil) }

// PutPartnerAudited is [Store.PutPartner] that appends ev to the audit log
// in the same transaction: the change and its audit record are committed
// together or not at all.
func (s *Store) PutPartnerAudited(p Partner, ev AuditEvent) error { return s.putPartner(p, &ev) }

func (s *Store) putPartner(p Partner, ev *AuditEvent) error {
	if p.Code == "" {
		return fmt.Errorf("write partner: %w: empty code", ErrInvalid)
	}
	p = clonePartner(p)
	_, err := s.updateAudited(ev, func(txn *badger.Txn) error {
		old, err := readPartner(txn, p.Code)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case p.Added.IsZero():
			p.Added = old.Added
		}
		return s.writePartner(txn, s.fillTimes(p))
	})
	if err != nil {
		return fmt.Errorf("write partner %s: %w", p.Code, err)
	}
	return nil
}

// fillTimes sets a missing Added or RemovedAt to now.
func (s *Store) fillTimes(p Partner) Partner {
	if p.Added.IsZero() {
		p.Added = s.now()
	}
	if p.Removed && p.RemovedAt.IsZero() {
		p.RemovedAt = s.now()
	}
	return p
}

func clonePartner(p Partner) Partner {
	p.Card = bytes.Clone(p.Card)
	p.AddrOverride = slices.Clone(p.AddrOverride)
	p.Retired = slices.Clone(p.Retired)
	for i := range p.Retired {
		p.Retired[i].Card = bytes.Clone(p.Retired[i].Card)
	}
	return p
}

func readPartner(txn *badger.Txn, code string) (Partner, error) {
	v, err := getValue(txn, partnerKey(code))
	if err != nil {
		return Partner{}, err
	}
	return decodePartner(v)
}

func (s *Store) writePartner(txn *badger.Txn, p Partner) error {
	v, err := encodePartner(p)
	if err != nil {
		return fmt.Errorf("encode partner: %w", err)
	}
	if err := s.checkSize("partner", len(v)); err != nil {
		return err
	}
	return txn.Set(partnerKey(p.Code), v)
}

// Partner returns the partner with this code, removed or not, or
// [ErrNotFound].
func (s *Store) Partner(code string) (Partner, error) {
	var p Partner
	err := s.view(func(txn *badger.Txn) error {
		var err error
		p, err = readPartner(txn, code)
		return err
	})
	if err != nil {
		return Partner{}, fmt.Errorf("read partner %s: %w", code, err)
	}
	return p, nil
}

// Partners returns the partners that are not removed, sorted by code.
func (s *Store) Partners() ([]Partner, error) {
	all, err := s.allPartners()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(p Partner) bool { return p.Removed }), nil
}

// allPartners returns every stored partner, tombstones included, by code.
func (s *Store) allPartners() ([]Partner, error) {
	var out []Partner
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(prefixPartner), func(_, v []byte) error {
			p, err := decodePartner(v)
			out = append(out, p)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read partners: %w", err)
	}
	return out, nil
}

// RemovePartner marks the partner removed. The tombstone is kept (with its
// card) and reported by [Store.Partner]; only an explicit
// [Store.PutPartner] replaces it. Removing a removed partner keeps the
// first removal time. It returns [ErrNotFound] for an unknown code.
func (s *Store) RemovePartner(code string) error { return s.removePartner(code, nil) }

// RemovePartnerAudited is [Store.RemovePartner] that appends ev to the
// audit log in the same transaction.
func (s *Store) RemovePartnerAudited(code string, ev AuditEvent) error {
	return s.removePartner(code, &ev)
}

func (s *Store) removePartner(code string, ev *AuditEvent) error {
	_, err := s.updateAudited(ev, func(txn *badger.Txn) error {
		p, err := readPartner(txn, code)
		if err != nil || p.Removed {
			return err
		}
		p.Removed, p.RemovedAt = true, s.now()
		return s.writePartner(txn, p)
	})
	if err != nil {
		return fmt.Errorf("remove partner %s: %w", code, err)
	}
	return nil
}
