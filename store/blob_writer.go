package store

import (
	"crypto/sha256"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// blobWriterPending caps the batches a [BlobChunkWriter] has committing
// at once: with Badger's batch size (15 % of a 16 MiB memtable) at most
// about 5 MiB of chunks wait in memory.
const blobWriterPending = 2

// BlobChunkWriter stores the chunks of a fetch as they arrive, committing
// them in the background in Badger's write batches, so that receiving
// and writing overlap (a synchronous write per range held a 50 MB fetch
// to a third of a bare stream's throughput: docs/performance.md,
// "Attachments"). Chunks are stored under their SHA-256, as by
// [Store.PutBlobChunk]. A writer is used by one goroutine; Flush or Cancel
// ends it.
type BlobChunkWriter struct {
	s  *Store
	wb *badger.WriteBatch
}

// NewBlobChunkWriter returns a writer, unless the store is closed or full.
func (s *Store) NewBlobChunkWriter() (*BlobChunkWriter, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.checkSpace(); err != nil {
		return nil, err
	}
	wb := s.db.NewWriteBatch()
	wb.SetMaxPendingTxns(blobWriterPending)
	return &BlobChunkWriter{s: s, wb: wb}, nil
}

// Put adds a chunk whose SHA-256 the caller has checked to be sum (by
// [blob.Manifest.Verify], which a fetch runs on every chunk anyway:
// hashing again here cost 10 % of a transfer's CPU). The writer takes
// ct: the caller must not modify it after. It may be on disk only after
// Flush.
func (w *BlobChunkWriter) Put(sum [sha256.Size]byte, ct []byte) error {
	if len(ct) > blob.MaxChunkCiphertext {
		return fmt.Errorf("%w: chunk of %d bytes exceeds %d", ErrInvalid, len(ct), blob.MaxChunkCiphertext)
	}
	w.s.closeMu.RLock()
	defer w.s.closeMu.RUnlock()
	if w.s.closed {
		return ErrClosed
	}
	w.s.compact.wrote()
	return fullError(w.wb.Set(makeKey(prefixBlobChunk, sum[:]), ct))
}

// Flush commits every chunk put and waits for it; the writer is then
// done.
func (w *BlobChunkWriter) Flush() error {
	w.s.closeMu.RLock()
	defer w.s.closeMu.RUnlock()
	if w.s.closed {
		w.wb.Cancel()
		return ErrClosed
	}
	return fullError(w.wb.Flush())
}
