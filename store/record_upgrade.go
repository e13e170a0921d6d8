package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Bounds of one transaction of [Store.compressRecords]: Badger refuses a
// transaction above 15 % of a memtable (2.4 MiB here, and every value
// counts in memory), and a batch is held in memory until it commits.
const (
	upgradeBatchRecords = 256
	upgradeBatchBytes   = 1 << 20
)

// compressRecords rewrites every record value whose body is stored as it
// is (encodings 1 and 2: every record of layouts 1 and 2) with its body
// compressed, where that makes it smaller, and returns how many it
// rewrote. It commits at most upgradeBatchRecords values and about
// upgradeBatchBytes a transaction, so a crash part way leaves records of
// both kinds, which this build reads alike, and running it again finishes
// the work. A value that does not decode is left as it is, for
// [Store.Verify] to report: a damaged record must not keep the store from
// opening.
func (s *Store) compressRecords() (int, error) {
	total := 0
	for from := []byte(prefixRecord); from != nil; {
		n := 0
		err := s.update(func(txn *badger.Txn) error {
			batch, next, err := s.recordsToCompress(txn, from)
			if err != nil {
				return err
			}
			n, from = len(batch), next
			return setAll(txn, batch)
		})
		if err != nil {
			return total, fmt.Errorf("compress records: %w", err)
		}
		total += n
	}
	if total > 0 {
		s.logger.Info("store records compressed", "records", total)
	}
	return total, nil
}

// keyValue is a key and the value to write under it.
type keyValue struct{ key, value []byte }

// recordsToCompress reads record values from the key from on and returns
// the next batch to rewrite, and the key to continue from (nil at the
// end).
func (s *Store) recordsToCompress(txn *badger.Txn, from []byte) ([]keyValue, []byte, error) {
	o := badger.DefaultIteratorOptions
	o.Prefix, o.PrefetchValues = []byte(prefixRecord), false
	it := txn.NewIterator(o)
	defer it.Close()
	var batch []keyValue
	size := 0
	for it.Seek(from); it.Valid(); it.Next() {
		if len(batch) == upgradeBatchRecords || size >= upgradeBatchBytes {
			return batch, it.Item().KeyCopy(nil), nil
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, nil, fmt.Errorf("read record %x: %w", it.Item().Key(), err)
		}
		if w := s.compressedRecord(it.Item().Key(), v); w != nil {
			batch = append(batch, keyValue{it.Item().KeyCopy(nil), w})
			size += len(w)
		}
	}
	return batch, nil, nil
}

// compressedRecord returns record value v with its body compressed, or
// nil when v is compressed already, would not shrink, or does not decode
// (logged, naming key k).
func (s *Store) compressedRecord(k, v []byte) []byte {
	if len(v) == 0 || v[0] >= recordEncodingZstd {
		return nil
	}
	var r StoredRecord
	if err := decodeRecord(v, &r); err != nil {
		s.logger.Warn("record left as it is by the layout upgrade", "key", fmt.Sprintf("%x", k), "err", err)
		return nil
	}
	w := encodeRecord(r.Time, &Record{Type: r.Type, Body: r.Body, Salt: r.Salt})
	if w[0] < recordEncodingZstd {
		return nil
	}
	return w
}

// setAll writes every key and value of kvs.
func setAll(txn *badger.Txn, kvs []keyValue) error {
	for _, kv := range kvs {
		if err := txn.Set(kv.key, kv.value); err != nil {
			return fmt.Errorf("write %x: %w", kv.key, err)
		}
	}
	return nil
}
