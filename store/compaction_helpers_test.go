package store

import (
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// fillLevelZero writes about 100 MiB through write, under a prefix the
// store does not use, in values just below valueThreshold, so that they
// stay in the LSM tree (larger ones go to the value log and fill no
// memtable): enough memtables (16 MiB) for level 0 to reach
// NumLevelZeroTables (5) tables. Transactions of 2000 values stay under
// Badger's batch limit.
func fillLevelZero(t *testing.T, write func(func(txn *badger.Txn) error) error) {
	t.Helper()
	const perTxn, txns = 2000, 190
	for i := range txns {
		err := write(func(txn *badger.Txn) error {
			for j := range perTxn {
				v := make([]byte, valueThreshold-1)
				rand.Read(v)
				k := binary.BigEndian.AppendUint32([]byte("zz-compaction-test/"), uint32(perTxn*i+j))
				if err := txn.Set(k, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitCompacted waits, a minute at most, until no level needs compaction
// and a level below 0 holds tables: level 0 was compacted.
func waitCompacted(t *testing.T, db *badger.DB) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		levels := db.Levels()
		below := 0
		for _, l := range levels[1:] {
			below += l.NumTables
		}
		if !needsCompaction(levels) && below > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("level 0 not compacted within a minute: %+v", levels)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
