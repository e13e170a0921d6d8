package store

import (
	"bytes"
	"testing"
)

// BenchmarkAppend appends entries with 1 KiB of ciphertext to one feed.
// Building and signing the entries is outside the timer.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name   string
		disk   bool
		record bool
		key    []byte
	}{
		{"memory", false, false, nil},
		{"disk", true, false, nil},
		{"disk-with-record", true, true, nil},
		{"disk-with-record-encrypted", true, true, bytes.Repeat([]byte{7}, EncryptionKeySize)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := openMem(b)
			if bc.disk {
				var err error
				if s, err = Open(Options{Dir: b.TempDir(), EncryptionKey: bc.key}); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
			}
			c := newChain(b)
			for range b.N {
				c.next("note", 1<<10)
			}
			b.SetBytes(int64(len(c.entries[0].Bytes())))
			b.ResetTimer()
			for _, e := range c.entries {
				var rec *Record
				if bc.record {
					rec = recordFor(e)
				}
				if err := s.Append(e, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify verifies a store of 1000 entries with records; the
// ns/entry metric is the cost per stored entry (mostly the signature
// check).
func BenchmarkVerify(b *testing.B) {
	s := openMem(b)
	const n = 1000
	appendAll(b, s, newChain(b).build(n, "note"), true)
	b.ResetTimer()
	for range b.N {
		rep, err := s.Verify(b.Context())
		if err != nil || !rep.OK() || rep.Entries != n {
			b.Fatalf("verify: %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
