package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// ProblemBlob is a blob chunk whose bytes no longer hash to its key, a
// manifest that does not hash to its blob id, or a blob marked complete
// with a chunk missing. Author and Seq are zero; Detail names the blob or
// chunk.
const ProblemBlob = "blob"

// blobs checks every stored chunk against its key (its SHA-256), every
// manifest against its blob id, and that a blob marked complete has all
// its chunks.
func (v *verifier) blobs() error {
	err := v.walkBlobs(prefixBlobChunk, func(k, val []byte) {
		if sum := sha256.Sum256(val); !bytes.Equal(sum[:], k[len(prefixBlobChunk):]) {
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "chunk %s: its bytes hash to %s: altered on disk", hex.EncodeToString(k[len(prefixBlobChunk):]), hex.EncodeToString(sum[:]))
		}
	})
	if err != nil {
		return err
	}
	return v.walkBlobs(prefixBlobManifest, func(k, val []byte) {
		v.rep.Blobs++
		id := blob.ID(k[len(prefixBlobManifest):])
		m, err := blob.DecodeManifest(val, id)
		if err != nil {
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "blob %s: %v", id, err)
			return
		}
		v.checkComplete(id, m)
	})
}

// checkComplete reports a blob marked complete with a chunk missing.
func (v *verifier) checkComplete(id blob.ID, m *blob.Manifest) {
	if done, _ := has(v.txn, blobKey(prefixBlobDone, id)); !done {
		return
	}
	for i, h := range m.Chunks {
		if ok, _ := has(v.txn, makeKey(prefixBlobChunk, h[:])); !ok {
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "blob %s: marked complete, chunk %d of %d missing", id, i, len(m.Chunks))
			return
		}
	}
}

// walkBlobs calls fn with every key under prefix that is exactly an id or
// hash long after it, and its value, checking ctx as it goes; a key of
// another length is a problem.
func (v *verifier) walkBlobs(prefix string, fn func(k, val []byte)) error {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := v.txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := v.tick(); err != nil {
			return err
		}
		k := it.Item().KeyCopy(nil)
		if len(k) != len(prefix)+sha256.Size {
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "key %q of %d bytes under %s", k[:min(len(k), 40)], len(k), prefix)
			continue
		}
		val, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		fn(k, val)
	}
	return nil
}
