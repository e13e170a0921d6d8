package store

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// BlobProgress is how much of one blob the store holds, in encrypted
// bytes, as its record of chunks held says: a file fetched in part counts
// what it holds, not its (sparse) size on disk.
type BlobProgress struct {
	Chunks     int   // the blob's chunk count; 0 when its manifest is not stored yet
	ChunksHeld int   // of them, held
	Bytes      int64 // every chunk's ciphertext: the blob whole
	BytesHeld  int64 // the held chunks' ciphertext
}

// PendingFile is a file still to fetch ([Store.PendingBlobs]) with how
// much of it is held.
type PendingFile struct {
	PendingBlob
	BlobProgress
}

// sealedSize is the ciphertext size of a file of size plaintext bytes.
func sealedSize(size int64) int64 {
	n := blob.ChunkCount(size)
	return int64(n-1)*blob.MaxChunkCiphertext + int64(blob.CiphertextLen(size, n-1))
}

// manifestSize reads the plaintext size of blob id from its stored
// manifest's header, without copying or decoding the chunk hashes;
// ErrNotFound when no manifest is stored.
func manifestSize(txn *badger.Txn, id blob.ID) (int64, error) {
	item, err := txn.Get(blobKey(prefixBlobManifest, id))
	if err == badger.ErrKeyNotFound {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	var size int64 = -1
	err = item.Value(func(v []byte) error {
		if len(v) >= 9 && v[0] == 1 {
			size = int64(binary.BigEndian.Uint64(v[1:9]))
		}
		return nil
	})
	if err == nil && (size < 0 || size > blob.MaxSize) {
		err = fmt.Errorf("manifest of blob %s: no valid size in its header: %w", id, ErrCorrupt)
	}
	return size, err
}

// progress returns how much of blob id the chunk store holds; the zero
// progress when its manifest is not stored.
func (s *Store) progress(txn *badger.Txn, id blob.ID) (BlobProgress, error) {
	size, err := manifestSize(txn, id)
	if err == ErrNotFound {
		return BlobProgress{}, nil
	}
	if err != nil {
		return BlobProgress{}, err
	}
	p := BlobProgress{Chunks: blob.ChunkCount(size), Bytes: sealedSize(size)}
	held, err := s.chunks.held(txn, id, size)
	if err != nil {
		return p, fmt.Errorf("chunks held of blob %s: %w", id, err)
	}
	for i := range p.Chunks {
		if held(i) {
			p.ChunksHeld++
			p.BytesHeld += int64(blob.CiphertextLen(size, i))
		}
	}
	return p, nil
}

// BlobHeldBytes returns the encrypted bytes of every chunk held, over
// every blob whose manifest is stored: what attachments hold, counted
// from the records of chunks held (a partly fetched file counts what it
// holds; [Store.BlobBytes] counts the files' apparent sizes).
func (s *Store) BlobHeldBytes() (int64, error) {
	var total int64
	err := s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobManifest), func(k []byte) error {
			p, err := s.progress(txn, blob.ID(k[len(prefixBlobManifest):]))
			total += p.BytesHeld
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("count attachment bytes held: %w", err)
	}
	return total, nil
}

// PendingFiles returns the files still to fetch ([Store.PendingBlobs])
// with how much of each is held, in one snapshot. A file whose manifest is
// not stored yet counts its size as its record states it, sealed.
func (s *Store) PendingFiles() ([]PendingFile, error) {
	pending, err := s.PendingBlobs()
	if err != nil {
		return nil, err
	}
	out := make([]PendingFile, len(pending))
	err = s.view(func(txn *badger.Txn) error {
		for i, p := range pending {
			out[i].PendingBlob = p
			prog, err := s.progress(txn, p.ID)
			if err != nil {
				return err
			}
			if prog.Chunks == 0 {
				prog = BlobProgress{Chunks: blob.ChunkCount(p.Size), Bytes: sealedSize(p.Size)}
			}
			out[i].BlobProgress = prog
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list attachments to fetch: %w", err)
	}
	return out, nil
}

// held reports, from the blob's bitmap, which chunks of blob id (of size
// plaintext bytes) are durable in its file.
func (c fileChunks) held(txn *badger.Txn, id blob.ID, size int64) (func(i int) bool, error) {
	bits, err := readChunksHeld(txn, id, blob.ChunkCount(size))
	if err != nil {
		return nil, err
	}
	return func(i int) bool { return isHeld(bits, i) }, nil
}

// held reports which chunks of blob id are stored in Badger.
func (c badgerChunks) held(txn *badger.Txn, id blob.ID, _ int64) (func(i int) bool, error) {
	v, err := getValue(txn, blobKey(prefixBlobManifest, id))
	if err != nil {
		return nil, err
	}
	m, err := blob.DecodeManifest(v, id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	ok := make([]bool, len(m.Chunks))
	for i, h := range m.Chunks {
		if ok[i], err = has(txn, chunkKey(h)); err != nil {
			return nil, err
		}
	}
	return func(i int) bool { return ok[i] }, nil
}
