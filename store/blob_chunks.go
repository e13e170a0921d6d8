package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// chunkStore keeps the ciphertext chunks of blobs; Badger keeps the rest
// (manifests, completion, references, times). [Open] chooses one: files
// of their own on disk ([fileChunks]: Badger's value log cost half of a
// transfer's throughput, docs/performance.md), Badger's b/c/ keyspace in
// memory ([badgerChunks], tests).
type chunkStore interface {
	// firstMissing returns the index of the first chunk of blob id
	// (manifest m) not recorded as held, or the chunk count.
	firstMissing(txn *badger.Txn, id blob.ID, m *blob.Manifest) (int, error)
	// reader reads the chunks of blob id as recorded held in txn, or in
	// views of its own when txn is nil.
	reader(txn *badger.Txn, id blob.ID, m *blob.Manifest) (chunkReader, error)
	// writer takes a fetch's chunks of blob id, whose manifest is stored.
	writer(id blob.ID, m *blob.Manifest) (chunkWriter, error)
	// upload takes an author's chunks, in order, before the blob id is
	// known.
	upload() (chunkUpload, error)
	// shared reports whether blobs share chunks (stored once by hash):
	// collection must then keep the chunks other manifests list.
	shared() bool
	// remove deletes, in txn, what records the chunks of blob id; orphans
	// are the chunks no other manifest lists. It returns how many chunks
	// and bytes go. done is called after txn commits.
	remove(txn *badger.Txn, id blob.ID, m *blob.Manifest, orphans map[[32]byte]bool) (n int, size int64, done func(), err error)
	// bytes returns what the chunks held take.
	bytes() (int64, error)
	// drop records, in txn, chunk i of blob id as not held.
	drop(txn *badger.Txn, id blob.ID, m *blob.Manifest, i int) error
	// held reports which chunks of blob id (size plaintext bytes, its
	// manifest stored) are held (blob_held.go).
	held(txn *badger.Txn, id blob.ID, size int64) (func(i int) bool, error)
}

// chunkReader reads one blob's chunks.
type chunkReader interface {
	// chunk returns chunk i, in buf when it is large enough, or
	// ErrNotFound when it is not held. The caller checks it against the
	// manifest.
	chunk(i int, buf []byte) ([]byte, error)
	// crc returns the CRC-32C recorded for chunk i when it was stored,
	// or 0 when none is.
	crc(i int) uint32
	close()
}

// chunkWriter stores one fetch's chunks, each already checked against
// the manifest by the caller; put does not keep ct.
type chunkWriter interface {
	put(i int, ct []byte) error
	// flush makes every chunk put held, durably, and ends the writer.
	flush() error
}

// chunkUpload stores an author's chunks as it seals them.
type chunkUpload interface {
	put(i int, ct []byte) error
	// commit records the chunks as those of blob id (manifest m, already
	// checked) in txn, after making them durable; done is called once
	// txn commits.
	commit(txn *badger.Txn, id blob.ID, m *blob.Manifest) (done func(), err error)
	abort()
}

// badgerChunks keeps chunks in Badger under their SHA-256 (b/c/): a
// chunk listed by several manifests is held once. Held means stored.
type badgerChunks struct{ s *Store }

func chunkKey(sum [32]byte) []byte { return makeKey(prefixBlobChunk, sum[:]) }

func (c badgerChunks) firstMissing(txn *badger.Txn, _ blob.ID, m *blob.Manifest) (int, error) {
	for i, h := range m.Chunks {
		if ok, err := has(txn, chunkKey(h)); err != nil || !ok {
			return i, err
		}
	}
	return len(m.Chunks), nil
}

func (c badgerChunks) reader(txn *badger.Txn, _ blob.ID, m *blob.Manifest) (chunkReader, error) {
	return badgerReader{c.s, txn, m}, nil
}

type badgerReader struct {
	s   *Store
	txn *badger.Txn // nil: a view per chunk
	m   *blob.Manifest
}

func (r badgerReader) chunk(i int, _ []byte) ([]byte, error) {
	if r.txn != nil {
		return getValue(r.txn, chunkKey(r.m.Chunks[i]))
	}
	var b []byte
	err := r.s.view(func(txn *badger.Txn) error {
		var err error
		b, err = getValue(txn, chunkKey(r.m.Chunks[i]))
		return err
	})
	return b, err
}

// crc is never recorded in memory: each chunk is hashed against the
// manifest (Badger keys it by that hash).
func (badgerReader) crc(int) uint32 { return 0 }

func (badgerReader) close() {}

func (c badgerChunks) writer(_ blob.ID, m *blob.Manifest) (chunkWriter, error) {
	w, err := c.s.newBatch()
	if err != nil {
		return nil, err
	}
	return badgerWriter{c.s, w, m}, nil
}

// badgerWriter commits chunks in Badger's write batches, in the
// background, each a copy.
type badgerWriter struct {
	s  *Store
	wb *badger.WriteBatch
	m  *blob.Manifest
}

func (w badgerWriter) put(i int, ct []byte) error {
	return w.s.batchSet(w.wb, chunkKey(w.m.Chunks[i]), bytes.Clone(ct))
}

func (w badgerWriter) flush() error { return w.s.batchFlush(w.wb) }

func (c badgerChunks) upload() (chunkUpload, error) { return badgerUpload(c), nil }

// badgerUpload stores each chunk as it comes, under its hash.
type badgerUpload struct{ s *Store }

func (u badgerUpload) put(_ int, ct []byte) error {
	return u.s.update(func(txn *badger.Txn) error { return txn.Set(chunkKey(sha256.Sum256(ct)), bytes.Clone(ct)) })
}

func (u badgerUpload) commit(txn *badger.Txn, id blob.ID, m *blob.Manifest) (func(), error) {
	first, err := badgerChunks(u).firstMissing(txn, id, m)
	if err == nil && first < len(m.Chunks) {
		err = fmt.Errorf("chunk %d of %d missing: %w", first, len(m.Chunks), ErrNotFound)
	}
	return func() {}, err
}

func (badgerUpload) abort() {}

func (badgerChunks) shared() bool { return true }

func (badgerChunks) remove(txn *badger.Txn, _ blob.ID, _ *blob.Manifest, orphans map[[32]byte]bool) (int, int64, func(), error) {
	n, size, err := deleteChunks(txn, orphans)
	return n, size, func() {}, err
}

// deleteChunks deletes the chunks held of hashes, returning how many and
// their bytes.
func deleteChunks(txn *badger.Txn, hashes map[[32]byte]bool) (n int, size int64, err error) {
	for h := range hashes {
		item, err := txn.Get(chunkKey(h))
		if err == badger.ErrKeyNotFound {
			continue
		}
		if err != nil {
			return n, size, err
		}
		size += item.ValueSize()
		n++
		if err := txn.Delete(chunkKey(h)); err != nil {
			return n, size, err
		}
	}
	return n, size, nil
}

func (badgerChunks) drop(txn *badger.Txn, _ blob.ID, m *blob.Manifest, i int) error {
	return txn.Delete(chunkKey(m.Chunks[i]))
}

func (c badgerChunks) bytes() (int64, error) {
	var total int64
	err := c.s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(prefixBlobChunk)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			total += it.Item().ValueSize()
		}
		return nil
	})
	return total, err
}
