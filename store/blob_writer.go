package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// blobWriterPending caps the batches a Badger chunk writer has committing
// at once: with Badger's batch size (15 % of a 16 MiB memtable) at most
// about 5 MiB of chunks wait in memory.
const blobWriterPending = 2

// BlobChunkWriter stores the chunks of one fetch as they arrive, making
// them durable and recording them held in the background (a file of the
// blob's own on disk, Badger write batches in memory), so that receiving
// and writing overlap. A writer is used by one goroutine; Flush ends it.
type BlobChunkWriter struct {
	m *blob.Manifest
	w chunkWriter
}

// NewBlobChunkWriter returns a writer of the chunks of blob id, whose
// manifest m is stored, unless the store is closed or the whole blob
// would take its disk below the free space reserve.
func (s *Store) NewBlobChunkWriter(id blob.ID, m *blob.Manifest) (*BlobChunkWriter, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.checkSpaceFor(blobFileSize(m)); err != nil {
		return nil, err
	}
	w, err := s.chunks.writer(id, m)
	if err != nil {
		return nil, fmt.Errorf("write chunks of blob %s: %w", id, err)
	}
	return &BlobChunkWriter{m: m, w: w}, nil
}

// Put adds chunk i, which the caller has checked against the manifest
// ([blob.Manifest.Verify], which a fetch runs on every chunk anyway:
// hashing again here cost 10 % of a transfer's CPU). ct is the caller's
// again once Put returns (a fetch reuses one frame buffer). The chunk is
// held only after Flush.
func (w *BlobChunkWriter) Put(i int, ct []byte) error {
	if i < 0 || i >= len(w.m.Chunks) || len(ct) != blob.CiphertextLen(w.m.Size, i) {
		return fmt.Errorf("%w: chunk %d of %d bytes, not one of the blob's %d", ErrInvalid, i, len(ct), len(w.m.Chunks))
	}
	return w.w.put(i, ct)
}

// Flush makes every chunk put durable and records it held, and waits for
// it; the writer is then done.
func (w *BlobChunkWriter) Flush() error { return w.w.flush() }

// newBatch returns a Badger write batch, as a chunk writer in memory
// uses.
func (s *Store) newBatch() (*badger.WriteBatch, error) {
	wb := s.db.NewWriteBatch()
	wb.SetMaxPendingTxns(blobWriterPending)
	return wb, nil
}

// batchSet adds k = v to wb unless the store is closed.
func (s *Store) batchSet(wb *badger.WriteBatch, k, v []byte) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.compact.wrote()
	return fullError(wb.Set(k, v))
}

// batchFlush commits wb and waits for it.
func (s *Store) batchFlush(wb *badger.WriteBatch) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		wb.Cancel()
		return ErrClosed
	}
	return fullError(wb.Flush())
}
