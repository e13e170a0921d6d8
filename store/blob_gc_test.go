package store

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

const gcRetention = 7 * 24 * time.Hour

// gcAfter is a pass run retention plus a day after the blobs were stored.
func gcAfter(t *testing.T, s *Store, max int, skip func(blob.ID) bool) BlobGCResult {
	t.Helper()
	res, err := s.CollectBlobs(BlobGC{Before: time.Now().Add(24 * time.Hour), Max: max, Skip: skip})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// chunksHeld counts the chunks of m an in-memory store holds, by hash,
// whether or not a manifest lists them.
func chunksHeld(t *testing.T, s *Store, m *blob.Manifest) int {
	t.Helper()
	r := badgerReader{s: s, m: m}
	n := 0
	for i := range m.Chunks {
		if _, err := r.chunk(i, nil); err == nil {
			n++
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	return n
}

// TestBlobGCDeletesOldUnnamed: a relayed blob no record names, older
// than the retention, goes with its chunks and marker; verify stays clean.
func TestBlobGCDeletesOldUnnamed(t *testing.T) {
	s := openMem(t)
	id, m := putSealed(t, s, bytes.Repeat([]byte("r"), 3*blob.ChunkSize))
	if err := s.MarkBlobComplete(id); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOwnBlob([32]byte{9}, id, blob.Key{}); err != nil {
		t.Fatal(err)
	}
	res := gcAfter(t, s, 8, nil)
	if len(res.Blobs) != 1 || res.Blobs[0] != id || res.Chunks != len(m.Chunks) || res.Bytes <= 0 {
		t.Fatalf("pass = %+v, want blob %s and its %d chunks", res, id, len(m.Chunks))
	}
	if _, _, err := s.BlobManifest(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("manifest after GC: %v", err)
	}
	if n := chunksHeld(t, s, m); n != 0 {
		t.Fatalf("%d chunks left", n)
	}
	if ok, _ := s.BlobComplete(id); ok {
		t.Fatal("completion marker left")
	}
	if _, _, ok, _ := s.OwnBlob([32]byte{9}); ok {
		t.Fatal("own-upload entry left")
	}
	if b, _ := s.BlobBytes(); b != 0 {
		t.Fatalf("BlobBytes = %d after GC", b)
	}
	if rep, err := s.Verify(t.Context()); err != nil || !rep.OK() {
		t.Fatalf("verify after GC: %+v, %v", rep.Problems, err)
	}
}

// TestBlobGCKeepsYoungAndNamed: a blob younger than the retention, and
// one a record names, are kept.
func TestBlobGCKeepsYoungAndNamed(t *testing.T) {
	s := openMem(t)
	young, ym := putSealed(t, s, []byte("young"))
	named, nm := putSealed(t, s, []byte("named"))
	if err := s.AddBlobRef(named, BlobRef{Author: crypto.PublicKey{1}, Seq: 1, Size: 5}); err != nil {
		t.Fatal(err)
	}
	res, err := s.CollectBlobs(BlobGC{Before: time.Now().Add(-gcRetention), Max: 8})
	if err != nil || len(res.Blobs) != 0 {
		t.Fatalf("pass before retention = %+v, %v", res, err)
	}
	res = gcAfter(t, s, 8, nil)
	if len(res.Blobs) != 1 || res.Blobs[0] != young {
		t.Fatalf("pass after retention = %+v, want only %s", res, young)
	}
	if chunksHeld(t, s, nm) != len(nm.Chunks) || chunksHeld(t, s, ym) != 0 {
		t.Fatal("named blob lost chunks, or young blob kept them")
	}
}

// TestBlobGCSharedChunk: a chunk two manifests list survives the
// deletion of one.
func TestBlobGCSharedChunk(t *testing.T) {
	s := openMem(t)
	keep, km := putSealed(t, s, bytes.Repeat([]byte("k"), 2*blob.ChunkSize))
	if err := s.AddBlobRef(keep, BlobRef{Author: crypto.PublicKey{1}, Seq: 1}); err != nil {
		t.Fatal(err)
	}
	// A second manifest listing one chunk of keep and none of its own: a
	// manifest names chunks by hash, whatever sealed them.
	shared := &blob.Manifest{Size: blob.ChunkSize, Chunks: km.Chunks[:1]}
	sid := shared.ID()
	if err := s.PutBlobManifest(sid, shared.Encode()); err != nil {
		t.Fatal(err)
	}
	res := gcAfter(t, s, 8, nil)
	if len(res.Blobs) != 1 || res.Blobs[0] != sid || res.Chunks != 0 {
		t.Fatalf("pass = %+v, want %s deleted with no chunk", res, sid)
	}
	if chunksHeld(t, s, km) != len(km.Chunks) {
		t.Fatal("shared chunk deleted with the other blob")
	}
}

// TestBlobGCSharedBetweenVictims: a chunk two collectable blobs list
// stays while one of them is skipped (in use), and goes with the second
// (a manifest listing it twice counts once).
func TestBlobGCSharedBetweenVictims(t *testing.T) {
	s := openMem(t)
	a, am := putSealed(t, s, bytes.Repeat([]byte("a"), blob.ChunkSize))
	twice := &blob.Manifest{Size: 2 * blob.ChunkSize, Chunks: [][32]byte{am.Chunks[0], am.Chunks[0]}}
	b := twice.ID()
	if err := s.PutBlobManifest(b, twice.Encode()); err != nil {
		t.Fatal(err)
	}
	res := gcAfter(t, s, 8, func(id blob.ID) bool { return id == b })
	if len(res.Blobs) != 1 || res.Blobs[0] != a || res.Chunks != 0 || chunksHeld(t, s, am) != 1 {
		t.Fatalf("pass skipping %s = %+v, want %s deleted and the shared chunk kept", b, res, a)
	}
	if res = gcAfter(t, s, 8, nil); len(res.Blobs) != 1 || res.Chunks != 1 || chunksHeld(t, s, am) != 0 {
		t.Fatalf("second pass = %+v, want %s and the chunk deleted", res, b)
	}
}

// TestBlobGCBounded: a pass deletes at most Max blobs and says more are
// left; Skip keeps a blob in use.
func TestBlobGCBounded(t *testing.T) {
	s := openMem(t)
	for i := range 5 {
		putSealed(t, s, []byte{byte(i)})
	}
	res := gcAfter(t, s, 2, nil)
	if len(res.Blobs) != 2 || !res.More {
		t.Fatalf("pass = %+v, want 2 and more", res)
	}
	res = gcAfter(t, s, 8, func(blob.ID) bool { return true })
	if len(res.Blobs) != 0 {
		t.Fatalf("pass skipping all deleted %d", len(res.Blobs))
	}
	if res = gcAfter(t, s, 8, nil); len(res.Blobs) != 3 || res.More {
		t.Fatalf("last pass = %+v, want 3", res)
	}
}

// TestBlobGCStampsOldBlobs: a blob stored before first-stored times gets
// one on the first pass and is kept until the retention after it.
func TestBlobGCStampsOldBlobs(t *testing.T) {
	s := openMem(t)
	id, _ := putSealed(t, s, []byte("legacy"))
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(blobKey(prefixBlobFirst, id)) }); err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	res := gcAfter(t, s, 8, nil)
	if res.Stamped != 1 || len(res.Blobs) != 0 {
		t.Fatalf("first pass = %+v, want stamped and kept", res)
	}
	if res := gcAfter(t, s, 8, nil); len(res.Blobs) != 0 {
		t.Fatalf("second pass deleted a blob stamped after its cut-off: %+v", res)
	}
}
