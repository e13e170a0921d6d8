package store

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// checkCRCs fails unless every chunk of blob id on disk recorded held has
// the CRC-32C of its bytes recorded, and every other chunk none: a CRC is
// never trusted for a chunk not held.
func checkCRCs(t *testing.T, s *Store, id blob.ID) {
	t.Helper()
	r, err := s.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	held := r.r.(*fileReader).rec.held
	for i := range r.Manifest.Chunks {
		got := r.r.crc(i)
		if !isHeld(held, i) {
			if got != 0 {
				t.Errorf("chunk %d not held, CRC %08x recorded", i, got)
			}
			continue
		}
		ct, err := r.Chunk(i)
		if err != nil {
			t.Fatal(err)
		}
		if want := chunkCRC(ct); got != want {
			t.Errorf("chunk %d: CRC %08x recorded, its bytes %08x", i, got, want)
		}
	}
}

// TestChunkCRCsRecordedWithHeld: every way a chunk comes to be held on
// disk (an author's upload, a fetch, moving Badger's chunks into files)
// records its CRC-32C in the transaction that records it held; a chunk
// dropped loses it.
func TestChunkCRCsRecordedWithHeld(t *testing.T) {
	src, dst := openDisk(t, t.TempDir()), openDisk(t, t.TempDir())
	id, m := putSealed(t, src, bytes.Repeat([]byte("crc "), 50_000)) // 4 chunks
	checkCRCs(t, src, id)
	putChunks(t, src, dst, id, m, 0, 2, 3)
	checkCRCs(t, dst, id)
	if err := src.DropBlobChunk(id, 1); err != nil {
		t.Fatal(err)
	}
	checkCRCs(t, src, id)
}

// TestReadCheckedChunk: a server reads chunks through ReadCheckedChunk.
// A sound chunk is returned whether its CRC is recorded, missing (a store
// written before CRCs were) or wrong; a chunk whose bytes on disk are not
// those stored (altered, or never written: a hole where a crash left the
// record ahead of the bytes) is ErrCorrupt in every case.
func TestReadCheckedChunk(t *testing.T) {
	records := map[string]func(txn *badger.Txn, id blob.ID, n int) error{
		"recorded": func(*badger.Txn, blob.ID, int) error { return nil },
		"missing":  func(txn *badger.Txn, id blob.ID, _ int) error { return txn.Delete(chunkCRCsKey(id)) },
		"wrong": func(txn *badger.Txn, id blob.ID, n int) error {
			return txn.Set(chunkCRCsKey(id), bytes.Repeat([]byte{0x5a}, 4*n))
		},
		"short": func(txn *badger.Txn, id blob.ID, _ int) error { return txn.Set(chunkCRCsKey(id), []byte{1, 2, 3}) },
	}
	for name, record := range records {
		t.Run(name, func(t *testing.T) {
			s := openDisk(t, t.TempDir())
			id, m := putSealed(t, s, bytes.Repeat([]byte("checked "), 30_000)) // 4 chunks
			if err := s.db.Update(func(txn *badger.Txn) error { return record(txn, id, len(m.Chunks)) }); err != nil {
				t.Fatal(err)
			}
			overwriteChunk(t, s, id, 1, []byte{0xff})                          // one byte altered
			overwriteChunk(t, s, id, 2, make([]byte, blob.MaxChunkCiphertext)) // zeros: bytes never written
			r, err := s.OpenBlob(id)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for i, wantErr := range []error{nil, ErrCorrupt, ErrCorrupt, nil} {
				ct, err := r.ReadCheckedChunk(i, nil)
				switch {
				case wantErr == nil && (err != nil || m.Verify(i, ct) != nil):
					t.Errorf("sound chunk %d: %v", i, err)
				case wantErr != nil && !errors.Is(err, wantErr):
					t.Errorf("damaged chunk %d: %v, want %v", i, err, wantErr)
				}
			}
		})
	}
}

// TestReadCheckedChunkInMemory: a store in memory records no CRC; its
// chunks are checked against the manifest.
func TestReadCheckedChunkInMemory(t *testing.T) {
	s := openMem(t)
	id, m := putSealed(t, s, bytes.Repeat([]byte("mem "), 40_000))
	r, err := s.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range m.Chunks {
		if ct, err := r.ReadCheckedChunk(i, nil); err != nil || m.Verify(i, ct) != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
}

// overwriteChunk writes b over the start of chunk i in the file of blob id.
func overwriteChunk(t *testing.T, s *Store, id blob.ID, i int, b []byte) {
	t.Helper()
	f, err := os.OpenFile(blobFile(s, id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt(b, chunkOffset(i))
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}
