package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// Key prefixes of the blob keyspace (docs/storage.md, "Blobs"). A blob is
// stored once however many records refer to it.
const (
	prefixBlobManifest = "b/m/" // id(32)                   -> manifest bytes
	prefixBlobChunk    = "b/c/" // sha256(32) of the chunk   -> ciphertext chunk (in memory; on disk in a backup stream only)
	prefixBlobHeld     = "b/h/" // id(32)                   -> bitmap of the chunks durable in the blob's file (on disk)
	prefixBlobCRC      = "b/k/" // id(32)                   -> CRC-32C(4) of each chunk as b/h/ recorded it, 0 none (on disk)
	prefixBlobDone     = "b/d/" // id(32)                   -> empty: every chunk held
	prefixBlobRef      = "b/r/" // id(32) author(32) seq(8) -> size(8): a record we read names it, with that size
	prefixBlobOwn      = "b/o/" // plaintext sha256(32)     -> id(32) file key(32)
	prefixBlobFirst    = "b/t/" // id(32)                   -> unix nanoseconds(8): first stored, for collection
)

func blobKey(prefix string, id blob.ID, tail ...[]byte) []byte {
	return makeKey(prefix, append([][]byte{id[:]}, tail...)...)
}

// BlobRef is a record that names a blob.
type BlobRef struct {
	Author crypto.PublicKey
	Seq    uint64
	Size   int64 // the file's size as the record states it
}

// PutBlobManifest stores the manifest of blob id, checking that it hashes
// to id ([blob.DecodeManifest]), with the time it was first stored (kept
// when stored again), from which [Store.CollectBlobs] counts its age.
func (s *Store) PutBlobManifest(id blob.ID, manifest []byte) error {
	if _, err := blob.DecodeManifest(manifest, id); err != nil {
		return fmt.Errorf("store manifest of blob %s: %w", id, err)
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := stampBlob(txn, id, s.now()); err != nil {
			return err
		}
		return txn.Set(blobKey(prefixBlobManifest, id), bytes.Clone(manifest))
	})
	if err != nil {
		return fmt.Errorf("store manifest of blob %s: %w", id, err)
	}
	return nil
}

// BlobManifest returns the manifest of blob id and its bytes, or
// [ErrNotFound].
func (s *Store) BlobManifest(id blob.ID) (*blob.Manifest, []byte, error) {
	var b []byte
	err := s.view(func(txn *badger.Txn) error {
		var err error
		b, err = getValue(txn, blobKey(prefixBlobManifest, id))
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest of blob %s: %w", id, err)
	}
	m, err := blob.DecodeManifest(b, id)
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest of blob %s: %w: %w", id, ErrCorrupt, err)
	}
	return m, b, nil
}

// BlobUpload stores the chunks of a file an author seals, as they come,
// before the blob id is known: [blob.Seal]'s callback is its Put. Commit
// or Abort ends it.
type BlobUpload struct {
	s *Store
	u chunkUpload
}

// NewBlobUpload starts an upload, unless the store is closed or full.
func (s *Store) NewBlobUpload() (*BlobUpload, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.checkSpace(); err != nil {
		return nil, err
	}
	u, err := s.chunks.upload()
	if err != nil {
		return nil, fmt.Errorf("start upload: %w", err)
	}
	return &BlobUpload{s: s, u: u}, nil
}

// Put stores chunk i, the next one.
func (u *BlobUpload) Put(i int, ct []byte) error {
	if len(ct) > blob.MaxChunkCiphertext {
		return fmt.Errorf("%w: chunk of %d bytes exceeds %d", ErrInvalid, len(ct), blob.MaxChunkCiphertext)
	}
	return u.u.put(i, ct)
}

// Commit stores the chunks put as the blob m describes, with m, every
// chunk held and the blob complete, in one transaction after the chunks
// are durable, and returns the blob id. A failed Commit aborts.
func (u *BlobUpload) Commit(m *blob.Manifest) (blob.ID, error) {
	raw := m.Encode()
	id := m.ID()
	if _, err := blob.DecodeManifest(raw, id); err != nil {
		u.Abort()
		return id, fmt.Errorf("store upload: %w", err)
	}
	var done func()
	err := u.s.update(func(txn *badger.Txn) error {
		if err := stampBlob(txn, id, u.s.now()); err != nil {
			return err
		}
		var err error
		if done, err = u.u.commit(txn, id, m); err != nil {
			return err
		}
		return errors.Join(txn.Set(blobKey(prefixBlobManifest, id), raw), txn.Set(blobKey(prefixBlobDone, id), nil))
	})
	if err != nil {
		u.Abort()
		return id, fmt.Errorf("store upload as blob %s: %w", id, err)
	}
	done()
	return id, nil
}

// Abort deletes what the upload stored.
func (u *BlobUpload) Abort() { u.u.abort() }

// BlobReader reads the chunks of one blob held when it was opened.
type BlobReader struct {
	// Manifest is the blob's.
	Manifest *blob.Manifest
	r        chunkReader
}

// OpenBlob returns a reader of blob id, or [ErrNotFound] when its manifest
// is not stored. Close it.
func (s *Store) OpenBlob(id blob.ID) (*BlobReader, error) {
	m, _, err := s.BlobManifest(id)
	if err != nil {
		return nil, err
	}
	r, err := s.chunks.reader(nil, id, m)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	return &BlobReader{Manifest: m, r: r}, nil
}

// Chunk returns chunk i, or [ErrNotFound] when it is not held. A caller
// checks it ([blob.Manifest.Verify]) before use: the store does not hash
// on every read.
func (r *BlobReader) Chunk(i int) ([]byte, error) { return r.ReadChunk(i, nil) }

// ReadChunk is Chunk reading into buf when it is large enough (the result
// then aliases buf): a server reuses its buffers.
func (r *BlobReader) ReadChunk(i int, buf []byte) ([]byte, error) {
	if i < 0 || i >= len(r.Manifest.Chunks) {
		return nil, fmt.Errorf("read chunk %d of %d: %w", i, len(r.Manifest.Chunks), ErrNotFound)
	}
	b, err := r.r.chunk(i, buf)
	if err != nil {
		return nil, fmt.Errorf("read chunk %d of %d: %w", i, len(r.Manifest.Chunks), err)
	}
	return b, nil
}

// ReadCheckedChunk is ReadChunk checked before it is returned: against
// the CRC-32C recorded when the chunk was stored, or, when none is
// recorded or it does not match, against the manifest's SHA-256. A chunk
// that fails both is an error wrapping [ErrCorrupt]: its bytes on disk
// are not those stored. The CRC costs a fifteenth of the hash: a server
// checks every chunk it sends this way (docs/performance.md).
func (r *BlobReader) ReadCheckedChunk(i int, buf []byte) ([]byte, error) {
	ct, err := r.ReadChunk(i, buf)
	if err != nil {
		return nil, err
	}
	if want := r.r.crc(i); want != 0 && chunkCRC(ct) == want {
		return ct, nil
	}
	if err := r.Manifest.Verify(i, ct); err != nil {
		return nil, fmt.Errorf("read chunk %d of %d: %w: %w", i, len(r.Manifest.Chunks), ErrCorrupt, err)
	}
	return ct, nil
}

// Close releases the reader.
func (r *BlobReader) Close() { r.r.close() }

// BlobComplete reports whether every chunk of blob id is held.
func (s *Store) BlobComplete(id blob.ID) (bool, error) {
	var ok bool
	err := s.view(func(txn *badger.Txn) error {
		var err error
		ok, err = has(txn, blobKey(prefixBlobDone, id))
		return err
	})
	return ok, err
}

// BlobFirstMissing returns the index of the first chunk of blob id
// (manifest m) that is not held: where a fetch resumes. It is the chunk
// count when every chunk is held.
func (s *Store) BlobFirstMissing(id blob.ID, m *blob.Manifest) (int, error) {
	first := 0
	err := s.view(func(txn *badger.Txn) error {
		var err error
		first, err = s.chunks.firstMissing(txn, id, m)
		return err
	})
	return first, err
}

// MarkBlobComplete records that every chunk of blob id is held, after
// checking it: the manifest is stored and no chunk is missing.
func (s *Store) MarkBlobComplete(id blob.ID) error {
	m, _, err := s.BlobManifest(id)
	if err != nil {
		return err
	}
	return s.update(func(txn *badger.Txn) error {
		first, err := s.chunks.firstMissing(txn, id, m)
		if err != nil {
			return err
		}
		if first < len(m.Chunks) {
			return fmt.Errorf("mark blob %s complete: chunk %d of %d missing: %w", id, first, len(m.Chunks), ErrNotFound)
		}
		return txn.Set(blobKey(prefixBlobDone, id), nil)
	})
}

// DropBlobChunk records chunk i of blob id as not held, and the blob as
// incomplete: its bytes on disk failed their check when read, so a fetch
// gets it again (the node fetches the blobs its records name that are not
// complete).
func (s *Store) DropBlobChunk(id blob.ID, i int) error {
	m, _, err := s.BlobManifest(id)
	if err != nil {
		return err
	}
	if i < 0 || i >= len(m.Chunks) {
		return fmt.Errorf("%w: drop chunk %d of blob %s: it has %d", ErrInvalid, i, id, len(m.Chunks))
	}
	err = s.update(func(txn *badger.Txn) error {
		return errors.Join(s.chunks.drop(txn, id, m, i), txn.Delete(blobKey(prefixBlobDone, id)))
	})
	if err != nil {
		return fmt.Errorf("drop chunk %d of blob %s: %w", i, id, err)
	}
	return nil
}

// AddBlobRef records that the record (r.Author, r.Seq) names blob id,
// with size r.Size.
func (s *Store) AddBlobRef(id blob.ID, r BlobRef) error {
	return s.update(func(txn *badger.Txn) error {
		return txn.Set(blobKey(prefixBlobRef, id, r.Author[:], be64(r.Seq)), be64(uint64(r.Size)))
	})
}

// BlobRefs returns the records that name blob id, in feed order.
func (s *Store) BlobRefs(id blob.ID) ([]BlobRef, error) {
	var refs []BlobRef
	err := s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, blobKey(prefixBlobRef, id), func(k []byte) error {
			if len(k) != len(prefixBlobRef)+len(id)+feedSeqLen {
				return nil
			}
			r := BlobRef{Seq: uint64FromBE(k[len(k)-8:])}
			copy(r.Author[:], k[len(prefixBlobRef)+len(id):])
			v, err := getValue(txn, k)
			if err == nil && len(v) == 8 {
				r.Size = int64(uint64FromBE(v))
			}
			refs = append(refs, r)
			return err
		})
	})
	return refs, err
}

// PendingBlob is a file still to fetch: its blob and the smallest size a
// record that names it states.
type PendingBlob struct {
	ID   blob.ID
	Size int64
}

// PendingBlobs returns the blobs that records of this node name and whose
// chunks are not all held: the attachments still to fetch.
func (s *Store) PendingBlobs() ([]PendingBlob, error) {
	var out []PendingBlob
	err := s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobRef), func(k []byte) error {
			id := blob.ID(k[len(prefixBlobRef) : len(prefixBlobRef)+len(blob.ID{})])
			size := int64(blob.MaxSize)
			if v, err := getValue(txn, k); err == nil && len(v) == 8 {
				size = int64(uint64FromBE(v))
			}
			if n := len(out); n > 0 && out[n-1].ID == id {
				out[n-1].Size = min(out[n-1].Size, size)
				return nil
			}
			done, err := has(txn, blobKey(prefixBlobDone, id))
			if err == nil && !done {
				out = append(out, PendingBlob{ID: id, Size: size})
			}
			return err
		})
	})
	return out, err
}

// scanKeys calls fn with every key under prefix that is long enough to
// hold an id, in order, without reading values.
func scanKeys(txn *badger.Txn, prefix []byte, fn func(k []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		if len(k) < len(prefix)+len(blob.ID{}) {
			continue
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// OwnBlob returns the blob id and file key under which this node sealed
// the file with plaintext SHA-256 sum, so that publishing it again reuses
// them: one blob however many records name the file.
func (s *Store) OwnBlob(sum [32]byte) (blob.ID, blob.Key, bool, error) {
	var v []byte
	err := s.view(func(txn *badger.Txn) error {
		var err error
		v, err = getValue(txn, makeKey(prefixBlobOwn, sum[:]))
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return blob.ID{}, blob.Key{}, false, nil
	}
	if err != nil || len(v) != len(blob.ID{})+blob.KeySize {
		return blob.ID{}, blob.Key{}, false, fmt.Errorf("read own blob: %w", errors.Join(err, ErrCorrupt))
	}
	return blob.ID(v[:32]), blob.Key(v[32:]), true, nil
}

// PutOwnBlob records the blob id and file key of this node's file with
// plaintext SHA-256 sum.
func (s *Store) PutOwnBlob(sum [32]byte, id blob.ID, k blob.Key) error {
	return s.update(func(txn *badger.Txn) error {
		return txn.Set(makeKey(prefixBlobOwn, sum[:]), append(bytes.Clone(id[:]), k[:]...))
	})
}
