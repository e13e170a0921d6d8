package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// DamagedChunk is a chunk of an attachment's blob that [Store.Verify]
// found held but failing its manifest (altered or cut short on disk), and
// recorded as missing so that the node fetches it again.
type DamagedChunk struct {
	Blob   string // the blob id, hex
	Chunk  int    // the chunk's index
	Chunks int    // the blob's chunk count
	// Repairable is set when a record of another author names the blob:
	// that author holds it (and relays that fetched it may), so the node
	// fetches the chunk again. Unset for a blob this node sealed itself:
	// only partners of its audience that fetched it can send it back.
	Repairable bool
	// Holders are the participants' feeds (fingerprints) whose records
	// name the blob, other than this node's.
	Holders []string
	// Sealed is set when this node sealed the blob (it is the author).
	Sealed bool
	// Marked is set once the chunk is recorded missing and the blob
	// incomplete (one transaction per blob); unset when that failed or
	// the blob went (collected) in between.
	Marked bool
}

// damage is what the verifier found of one blob: its damaged chunks.
type damage struct {
	id     blob.ID
	m      *blob.Manifest
	chunks []int
}

// noteDamaged records chunk i of blob id as damaged, for markDamaged
// after the walk.
func (v *verifier) noteDamaged(id blob.ID, m *blob.Manifest, i int) {
	if n := len(v.damaged); n > 0 && v.damaged[n-1].id == id {
		v.damaged[n-1].chunks = append(v.damaged[n-1].chunks, i)
		return
	}
	v.damaged = append(v.damaged, damage{id: id, m: m, chunks: []int{i}})
}

// holders returns the authors other than this node whose records name
// blob id, and whether this node sealed it (b/o/).
func (v *verifier) holders(id blob.ID) (others []crypto.PublicKey, own bool, err error) {
	if v.own == nil {
		if v.own, err = ownBlobIDs(v.txn); err != nil {
			return nil, false, err
		}
	}
	own = v.own[id]
	err = scanKeys(v.txn, blobKey(prefixBlobRef, id), func(k []byte) error {
		if len(k) != len(prefixBlobRef)+len(id)+feedSeqLen {
			return nil
		}
		a := crypto.PublicKey(k[len(prefixBlobRef)+len(id) : len(k)-8])
		if !slices.Contains(others, a) {
			others = append(others, a)
		}
		return nil
	})
	return others, own, err
}

// ownBlobIDs returns the blobs this node sealed (the values of b/o/).
func ownBlobIDs(txn *badger.Txn) (map[blob.ID]bool, error) {
	out := map[blob.ID]bool{}
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefixBlobOwn)
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		err := it.Item().Value(func(v []byte) error {
			if len(v) >= len(blob.ID{}) {
				out[blob.ID(v[:len(blob.ID{})])] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describeDamage turns what the walk found into the report's damaged
// chunks, before they are marked: who holds each blob is read in the
// walk's snapshot.
func (v *verifier) describeDamage() error {
	for _, d := range v.damaged {
		others, own, err := v.holders(d.id)
		if err != nil {
			return err
		}
		var names []string
		for _, a := range others {
			names = append(names, a.Fingerprint())
		}
		for _, i := range d.chunks {
			v.rep.Damaged = append(v.rep.Damaged, DamagedChunk{Blob: d.id.String(), Chunk: i, Chunks: len(d.m.Chunks),
				Repairable: len(others) > 0 && !own, Holders: names, Sealed: own})
		}
	}
	return nil
}

// markDamaged records every damaged chunk the walk found as not held, and
// its blob as incomplete, in one transaction per blob: the node's fetch
// of the files still to fetch (and any opening) gets them again from a
// partner. A blob collected since the walk is skipped. It then reports
// each chunk as a problem saying what was done.
func (s *Store) markDamaged(v *verifier) {
	for _, d := range v.damaged {
		err := s.dropChunks(d.id, d.m, d.chunks)
		for k := range v.rep.Damaged {
			if c := &v.rep.Damaged[k]; c.Blob == d.id.String() {
				c.Marked = err == nil
				v.problem(crypto.PublicKey{}, 0, ProblemBlob, "%s", c.describe(err))
			}
		}
	}
}

// dropChunks records chunks of blob id (manifest m) as not held and the
// blob as incomplete, in one transaction; ErrNotFound when its manifest
// is gone.
func (s *Store) dropChunks(id blob.ID, m *blob.Manifest, chunks []int) error {
	return s.update(func(txn *badger.Txn) error {
		v, err := getValue(txn, blobKey(prefixBlobManifest, id))
		if err != nil {
			return err
		}
		if !bytes.Equal(v, m.Encode()) {
			return fmt.Errorf("manifest of blob %s changed: %w", id, ErrCorrupt)
		}
		for _, i := range chunks {
			if err := s.chunks.drop(txn, id, m, i); err != nil {
				return err
			}
		}
		return txn.Delete(blobKey(prefixBlobDone, id))
	})
}

// describe says what verify found of a damaged chunk and did about it.
func (c DamagedChunk) describe(markErr error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "blob %s: chunk %d of %d fails its manifest: altered on disk; ", c.Blob, c.Chunk, c.Chunks)
	switch {
	case errors.Is(markErr, ErrNotFound):
		b.WriteString("the blob was collected meanwhile")
		return b.String()
	case markErr != nil:
		fmt.Fprintf(&b, "cannot record it missing: %v", markErr)
		return b.String()
	}
	b.WriteString("recorded missing, ")
	switch {
	case c.Repairable:
		fmt.Fprintf(&b, "repairable: fetched again from a partner (author %s holds it)", strings.Join(c.Holders, ", "))
	case c.Sealed:
		b.WriteString("not repairable from an author: this node sealed it, only partners that fetched it can send it back (else restore a backup)")
	default:
		b.WriteString("not repairable: no record of another author names it")
	}
	return b.String()
}
