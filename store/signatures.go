package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// metaSignaturesChecked marks a store every entry of which is known to
// verify on its own signature: set when the store is created (every
// entry then comes through protocol.DecodeEntry, DecodeBatch or NewEntry)
// and once [Store.BadSignatures] has been swept and acted on in a store
// written by an older kpnode, which took the inner entries of a sync
// frame on a later entry's signature (issue 13).
const metaSignaturesChecked = "store/signatures-checked"

// SignaturesChecked reports whether every entry of the store is known to
// verify on its own signature (see [Store.MarkSignaturesChecked]).
func (s *Store) SignaturesChecked() (bool, error) {
	_, err := s.GetMeta(metaSignaturesChecked)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// MarkSignaturesChecked records that every entry of the store verifies on
// its own signature, once the caller has taken out of their feeds those
// that [Store.BadSignatures] found.
func (s *Store) MarkSignaturesChecked() error {
	return s.PutMeta(metaSignaturesChecked, []byte{1})
}

// markSignaturesChecked is MarkSignaturesChecked inside the transaction
// that creates a store.
func markSignaturesChecked(txn *badger.Txn) error {
	return txn.Set(metaKey(metaSignaturesChecked), []byte{1})
}

// BadSignatures walks every entry, as [Store.Verify] does (every core,
// each entry's own signature), and returns per feed the lowest seq whose
// entry fails its own signature. Other problems are left to Verify.
func (s *Store) BadSignatures(ctx context.Context) (map[crypto.PublicKey]uint64, error) {
	v := &verifier{ctx: ctx, ends: map[crypto.PublicKey]*feedState{}, badSig: map[crypto.PublicKey]uint64{}}
	err := s.view(func(txn *badger.Txn) error {
		v.txn = txn
		return v.entries()
	})
	if err != nil {
		return nil, fmt.Errorf("check entry signatures: %w", err)
	}
	return v.badSig, nil
}

// noteBadSignature records, when err says that the entry of a at seq
// fails its own signature, the lowest such seq of a's feed.
func (v *verifier) noteBadSignature(a crypto.PublicKey, seq uint64, err error) {
	if v.badSig == nil || !errors.Is(err, protocol.ErrBadSignature) {
		return
	}
	if low, ok := v.badSig[a]; !ok || seq < low {
		v.badSig[a] = seq
	}
}
