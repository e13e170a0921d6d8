package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
)

// prefixNaturalKey indexes records by their natural keys (issuer and
// certificate number, statistics key, …; see protocol.NaturalKey):
//
//	"k/" key 0x00 author(32) -> seq(8) item(4)
//
// One key may be held by several authors (a duplicate certificate issued
// twice is evidence, not a conflict), so the author is part of the index
// key. Layout 1 has it from the start.
const prefixNaturalKey = "k/"

// maxNaturalKeyLen bounds a natural key; it is part of an index key.
const maxNaturalKeyLen = 512

// KeyRef is where a record with a natural key is: an entry of a feed and
// the item of a batch (0 for a single record).
type KeyRef struct {
	Author crypto.PublicKey
	Seq    uint64
	Item   int
}

// RecordKey is a natural key of a record and the batch item it belongs to,
// passed to [Store.Append] in [Record].Keys.
type RecordKey struct {
	Key  string
	Item int
}

func naturalKeyPrefix(key string) []byte { return makeKey(prefixNaturalKey, []byte(key), []byte{0}) }

func naturalKeyKey(key string, a crypto.PublicKey) []byte {
	return makeKey(prefixNaturalKey, []byte(key), []byte{0}, a[:])
}

func checkNaturalKeys(keys []RecordKey) error {
	for _, k := range keys {
		if k.Key == "" || len(k.Key) > maxNaturalKeyLen || bytes.IndexByte([]byte(k.Key), 0) >= 0 || k.Item < 0 {
			return fmt.Errorf("%w: natural key %q item %d: want 1..%d bytes without NUL", ErrInvalid, k.Key, k.Item, maxNaturalKeyLen)
		}
	}
	return nil
}

// writeNaturalKeys indexes a record's natural keys. A key the author
// already holds keeps pointing at its first record: a correction names
// the record it supersedes instead.
func writeNaturalKeys(txn *badger.Txn, a crypto.PublicKey, seq uint64, keys []RecordKey) error {
	for _, k := range keys {
		ik := naturalKeyKey(k.Key, a)
		if _, err := txn.Get(ik); err == nil {
			continue
		}
		v := binary.BigEndian.AppendUint64(nil, seq)
		v = binary.BigEndian.AppendUint32(v, uint32(k.Item))
		if err := txn.Set(ik, v); err != nil {
			return fmt.Errorf("write natural key index: %w", err)
		}
	}
	return nil
}

// LookupKey returns where each author holding a record with natural key
// key has it, ordered by author.
func (s *Store) LookupKey(key string) ([]KeyRef, error) {
	var refs []KeyRef
	prefix := naturalKeyPrefix(key)
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, prefix, func(k, v []byte) error {
			if len(k) != len(prefix)+authorLen || len(v) != 12 {
				return fmt.Errorf("%w: malformed natural key index %q", ErrCorrupt, k)
			}
			var r KeyRef
			copy(r.Author[:], k[len(prefix):])
			r.Seq, r.Item = binary.BigEndian.Uint64(v), int(binary.BigEndian.Uint32(v[8:]))
			refs = append(refs, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("look up natural key %q: %w", key, err)
	}
	return refs, nil
}
