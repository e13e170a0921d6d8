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

// Equivocation is evidence that an author signed two different entries
// with the same seq: the one the store kept in its feed and the other one,
// verbatim.
type Equivocation struct {
	Author      crypto.PublicKey
	Seq         uint64
	Kept        protocol.Hash // hash of the entry in the feed
	Conflicting []byte        // the other entry's wire bytes
	Seen        time.Time     // when this store first saw the other entry
}

// evidenceHeaderLen is seen(8) kept(32).
const evidenceHeaderLen = 8 + hashLen

// keepEvidence stores eq unless the same conflicting entry is already
// recorded; then eq.Seen becomes the first sighting.
func keepEvidence(txn *badger.Txn, eq *Equivocation) error {
	k := evidenceKey(eq.Author, eq.Seq, hashBytes(eq.Conflicting))
	v, err := getValue(txn, k)
	if err == nil {
		return decodeEvidence(v, eq)
	}
	if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read evidence: %w", err)
	}
	if err := txn.Set(k, encodeEvidence(eq)); err != nil {
		return fmt.Errorf("write evidence: %w", err)
	}
	return nil
}

func encodeEvidence(eq *Equivocation) []byte {
	b := make([]byte, 0, evidenceHeaderLen+len(eq.Conflicting))
	b = appendTime(b, eq.Seen)
	b = append(b, eq.Kept[:]...)
	return append(b, eq.Conflicting...)
}

// decodeEvidence decodes an evidence value into eq (Author, Seq untouched).
func decodeEvidence(v []byte, eq *Equivocation) error {
	if len(v) < evidenceHeaderLen {
		return fmt.Errorf("%w: evidence value is %d bytes", ErrCorrupt, len(v))
	}
	eq.Seen = readTime(v)
	copy(eq.Kept[:], v[8:])
	eq.Conflicting = bytes.Clone(v[evidenceHeaderLen:])
	return nil
}

// Equivocations returns all recorded equivocation evidence, by author and
// seq.
func (s *Store) Equivocations() ([]Equivocation, error) {
	var out []Equivocation
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(prefixEvidence), func(k, v []byte) error {
			a, seq, _, ok := parseEvidence(k)
			if !ok {
				return fmt.Errorf("%w: malformed evidence key of %d bytes", ErrCorrupt, len(k))
			}
			eq := Equivocation{Author: a, Seq: seq}
			out = append(out, eq)
			return decodeEvidence(v, &out[len(out)-1])
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read equivocations: %w", err)
	}
	return out, nil
}
