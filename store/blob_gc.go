package store

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// blobStampMax bounds the blobs stored before first-stored times existed
// that one pass stamps, so that the first pass after an upgrade is
// bounded too.
const blobStampMax = 4096

// BlobGC says what a collection pass ([Store.CollectBlobs]) may delete.
type BlobGC struct {
	// Before: only blobs first stored before it are deleted (now minus
	// the retention).
	Before time.Time
	// Max bounds the blobs deleted in the pass (each at most
	// blob.MaxSize/blob.ChunkSize chunks); a positive number.
	Max int
	// Skip, if set, reports a blob in use (a fetch or publish holds it):
	// it is kept. It is called just before the blob is deleted.
	Skip func(blob.ID) bool
}

// BlobGCResult is what a pass did.
type BlobGCResult struct {
	Blobs   []blob.ID // deleted: manifest, completion, first-stored time, own-upload entries
	Chunks  int       // chunks deleted (those no kept manifest lists)
	Bytes   int64     // bytes of those chunks
	Stamped int       // blobs stored before first-stored times, stamped now
	More    bool      // Max was reached: more blobs may be collectable
}

// CollectBlobs deletes the blobs that no record reference (b/r/) names
// and that were first stored before gc.Before: relayed blobs, uploads
// never published, blobs of records since withdrawn. A chunk is deleted
// only when no other manifest lists it: chunks are stored under their
// hash and may be shared. Blobs without a first-stored time (stored
// before it existed) get the store's now and are kept this pass. The
// caller serialises passes against fetches and publishes (gc.Skip).
func (s *Store) CollectBlobs(gc BlobGC) (BlobGCResult, error) {
	var res BlobGCResult
	if gc.Max <= 0 {
		return res, fmt.Errorf("%w: collect blobs: max %d is not positive", ErrInvalid, gc.Max)
	}
	victims, unstamped, err := s.blobVictims(gc.Before, gc.Max+1)
	if err != nil {
		return res, fmt.Errorf("collect blobs: %w", err)
	}
	if res.Stamped, err = s.stampBlobs(unstamped); err != nil {
		return res, fmt.Errorf("collect blobs: %w", err)
	}
	if len(victims) > gc.Max {
		victims, res.More = victims[:gc.Max], true
	}
	var kept []blob.ID
	for _, id := range victims {
		if gc.Skip == nil || !gc.Skip(id) {
			kept = append(kept, id)
		}
	}
	listed := map[[32]byte]int{}
	if s.chunks.shared() {
		listed, err = s.chunkListings(kept)
	}
	if err != nil {
		return res, fmt.Errorf("collect blobs: %w", err)
	}
	for _, id := range kept {
		chunks, size, deleted, err := s.deleteBlob(id, gc.Before, listed)
		if err != nil {
			return res, fmt.Errorf("collect blob %s: %w", id, err)
		}
		if deleted {
			res.Blobs = append(res.Blobs, id)
			res.Chunks += chunks
			res.Bytes += size
		}
	}
	return res, nil
}

// chunkListings reads the manifests of ids and counts, for each of their
// chunks, the stored manifests that list it (one read of every manifest
// per pass, whatever the number of victims).
func (s *Store) chunkListings(ids []blob.ID) (map[[32]byte]int, error) {
	listed := map[[32]byte]int{}
	for _, id := range ids {
		m, _, err := s.BlobManifest(id)
		if err != nil {
			return nil, err
		}
		for _, c := range m.Chunks {
			listed[c] = 0
		}
	}
	if len(listed) == 0 {
		return listed, nil
	}
	err := s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobManifest), func(k []byte) error {
			other := blob.ID(k[len(prefixBlobManifest):])
			v, err := getValue(txn, k)
			if err != nil {
				return err
			}
			om, err := blob.DecodeManifest(v, other)
			if err != nil {
				return fmt.Errorf("manifest of blob %s: %w: %w", other, ErrCorrupt, err)
			}
			for _, c := range distinctChunks(om) {
				if n, ok := listed[c]; ok {
					listed[c] = n + 1
				}
			}
			return nil
		})
	})
	return listed, err
}

// blobVictims lists up to max blobs collectable before before, and the
// blobs (up to blobStampMax) that have no first-stored time.
func (s *Store) blobVictims(before time.Time, max int) (victims, unstamped []blob.ID, err error) {
	err = s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobManifest), func(k []byte) error {
			id := blob.ID(k[len(prefixBlobManifest):])
			old, stamped, err := blobOlder(txn, id, before)
			switch {
			case err != nil:
				return err
			case !stamped:
				if len(unstamped) < blobStampMax {
					unstamped = append(unstamped, id)
				}
				return nil
			case !old || len(victims) >= max:
				return nil
			}
			named, err := blobNamed(txn, id)
			if err == nil && !named {
				victims = append(victims, id)
			}
			return err
		})
	})
	return victims, unstamped, err
}

// blobOlder reports whether blob id was first stored before before, and
// whether it has a first-stored time at all.
func blobOlder(txn *badger.Txn, id blob.ID, before time.Time) (old, stamped bool, err error) {
	v, err := getValue(txn, blobKey(prefixBlobFirst, id))
	if err == ErrNotFound {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if len(v) != 8 {
		return false, false, fmt.Errorf("first-stored time of blob %s: %d bytes: %w", id, len(v), ErrCorrupt)
	}
	return int64(uint64FromBE(v)) < before.UnixNano(), true, nil
}

// blobNamed reports whether a record reference names blob id.
func blobNamed(txn *badger.Txn, id blob.ID) (bool, error) {
	named := false
	err := scanKeys(txn, blobKey(prefixBlobRef, id), func([]byte) error {
		named = true
		return nil
	})
	return named, err
}

// stampBlob sets the first-stored time of blob id unless it has one.
func stampBlob(txn *badger.Txn, id blob.ID, now time.Time) error {
	ok, err := has(txn, blobKey(prefixBlobFirst, id))
	if err != nil || ok {
		return err
	}
	return txn.Set(blobKey(prefixBlobFirst, id), be64(uint64(now.UnixNano())))
}

// stampBlobs gives the blobs ids a first-stored time of now.
func (s *Store) stampBlobs(ids []blob.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	now := s.now()
	err := s.update(func(txn *badger.Txn) error {
		for _, id := range ids {
			if err := stampBlob(txn, id, now); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ids), err
}

// deleteBlob deletes blob id in one transaction, checking again that it
// is old and named by no record, with its chunks: its file on disk, once
// the transaction commits; in memory the chunks that no other manifest
// lists: listed counts, for each chunk, the manifests still stored that
// list it ([Store.chunkListings]); deleting the blob updates it.
func (s *Store) deleteBlob(id blob.ID, before time.Time, listed map[[32]byte]int) (chunks int, size int64, deleted bool, err error) {
	m, _, err := s.BlobManifest(id)
	if err != nil {
		return 0, 0, false, err
	}
	orphans := map[[32]byte]bool{}
	for _, c := range m.Chunks {
		if listed[c] <= 1 {
			orphans[c] = true
		}
	}
	var done func()
	err = s.update(func(txn *badger.Txn) error {
		old, _, err := blobOlder(txn, id, before)
		if err != nil || !old {
			return err
		}
		if named, err := blobNamed(txn, id); err != nil || named {
			return err
		}
		if chunks, size, done, err = s.chunks.remove(txn, id, m, orphans); err != nil {
			return err
		}
		deleted = true
		return deleteBlobKeys(txn, id)
	})
	deleted = deleted && err == nil
	if deleted {
		done()
		for _, c := range distinctChunks(m) {
			listed[c]--
		}
	}
	return chunks, size, deleted, err
}

// distinctChunks returns the chunks m lists, each once (a manifest from
// a partner may list one twice).
func distinctChunks(m *blob.Manifest) [][32]byte {
	return slices.Compact(slices.SortedFunc(slices.Values(m.Chunks), func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) }))
}

// deleteBlobKeys deletes the manifest, completion marker, first-stored
// time and own-upload entries of blob id.
func deleteBlobKeys(txn *badger.Txn, id blob.ID) error {
	var own [][]byte
	err := scanKeys(txn, []byte(prefixBlobOwn), func(k []byte) error {
		v, err := getValue(txn, k)
		if err == nil && len(v) >= len(id) && blob.ID(v[:len(id)]) == id {
			own = append(own, append([]byte(nil), k...))
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range append(own, blobKey(prefixBlobManifest, id), blobKey(prefixBlobDone, id), blobKey(prefixBlobFirst, id)) {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// BlobBytes returns the bytes of the chunks held: what attachments take
// (on disk, the blob files' sizes).
func (s *Store) BlobBytes() (int64, error) { return s.chunks.bytes() }
