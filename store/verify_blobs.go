package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// ProblemBlob is a blob chunk whose bytes no longer hash to its key or
// its manifest's entry (altered or truncated in its blob file), a
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
			if v.badChunks == nil {
				v.badChunks = map[[32]byte]bool{}
			}
			v.badChunks[[32]byte(k[len(prefixBlobChunk):])] = true
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
		v.checkChunks(id, m)
	})
}

// checkChunks reads every chunk of blob id recorded held in its file on
// disk and checks it against m, noting those that fail (or cannot be read
// whole) as damaged, and reports a blob marked complete with a chunk
// missing.
func (v *verifier) checkChunks(id blob.ID, m *blob.Manifest) {
	r, err := v.chunks.reader(v.txn, id, m)
	if err != nil {
		v.problem(crypto.PublicKey{}, 0, ProblemBlob, "blob %s: %v", id, err)
		return
	}
	defer r.close()
	done, _ := has(v.txn, blobKey(prefixBlobDone, id))
	buf := make([]byte, blob.MaxChunkCiphertext)
	for i := range m.Chunks {
		ct, err := r.chunk(i, buf)
		switch {
		case errors.Is(err, ErrNotFound) && done:
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "blob %s: marked complete, chunk %d of %d missing", id, i, len(m.Chunks))
			return
		case errors.Is(err, ErrNotFound):
		case errors.Is(err, ErrCorrupt): // recorded held, cut short or its file gone
			v.noteDamaged(id, m, i)
		case err != nil:
			v.problem(crypto.PublicKey{}, 0, ProblemBlob, "blob %s: %v", id, err)
		case v.chunks.shared():
			// in Badger, the walk of b/c/ checked it against its key
			if v.badChunks[m.Chunks[i]] {
				v.noteDamaged(id, m, i)
			}
		case m.Verify(i, ct) != nil:
			v.noteDamaged(id, m, i)
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
