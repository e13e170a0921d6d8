package store

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
)

// bigRecord returns a record body of about n bytes that zstd cannot shrink
// much (base64 of random bytes: about 75 %), so that it counts against
// Badger's batch limit with nearly its size.
func bigRecord(tb testing.TB, n int) *Record {
	tb.Helper()
	raw := make([]byte, n*3/4)
	if _, err := rand.Read(raw); err != nil {
		tb.Fatal(err)
	}
	return &Record{Body: []byte(`{"x":"` + base64.StdEncoding.EncodeToString(raw) + `"}`)}
}

// TestLargestAppendFitsMemtable: the largest entry each kind of store
// takes, with a record as large, is one transaction Badger accepts. In
// memory every value sits in the memtable and counts against Badger's
// batch limit (15 % of the memtable); on disk only keys and value
// pointers do, which is what lets the disk memtable be 8 MiB.
func TestLargestAppendFitsMemtable(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		s := openMem(t)
		e := newChain(t).next("note", maxMemoryValue-4096)
		if err := s.Append(e, bigRecord(t, maxMemoryValue-4096)); err != nil {
			t.Fatalf("append of a %d-byte entry with its record in memory: %v", len(e.Bytes()), err)
		}
	})
	t.Run("disk", func(t *testing.T) {
		s := openDisk(t, t.TempDir())
		e := newChain(t).next("note", 4<<20-4096) // protocol.MaxEntrySize
		if err := s.Append(e, bigRecord(t, 4<<20-4096)); err != nil {
			t.Fatalf("append of a %d-byte entry with its record on disk: %v", len(e.Bytes()), err)
		}
	})
}
