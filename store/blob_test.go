package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// putSealed seals plain into s as the author does: chunks as they come,
// then the manifest.
func putSealed(t *testing.T, s *Store, plain []byte) (blob.ID, *blob.Manifest) {
	t.Helper()
	up, err := s.NewBlobUpload()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := blob.Seal(bytes.NewReader(plain), blob.NewKey(), up.Put)
	if err != nil {
		t.Fatal(err)
	}
	id, err := up.Commit(sealed.Manifest)
	if err != nil || id != sealed.Manifest.ID() {
		t.Fatalf("commit upload: %s, %v", id, err)
	}
	return id, sealed.Manifest
}

// putChunks stores chunks is of blob id (manifest m, read from src) in
// dst through a fetch's writer.
func putChunks(t *testing.T, src, dst *Store, id blob.ID, m *blob.Manifest, is ...int) {
	t.Helper()
	if _, _, err := dst.BlobManifest(id); errors.Is(err, ErrNotFound) {
		if err := dst.PutBlobManifest(id, m.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	w, err := dst.NewBlobChunkWriter(id, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range is {
		if err := w.Put(i, mustChunk(t, src, id, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestBlobStoreRoundTrip(t *testing.T) {
	s := openMem(t)
	plain := bytes.Repeat([]byte("kp"), 3*blob.ChunkSize/2+7)
	id, m := putSealed(t, s, plain)
	got, raw, err := s.BlobManifest(id)
	if err != nil || !bytes.Equal(raw, m.Encode()) || got.Size != int64(len(plain)) {
		t.Fatalf("BlobManifest: %v", err)
	}
	r, err := s.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range m.Chunks {
		ct, err := r.Chunk(i)
		if err != nil || m.Verify(i, ct) != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	if _, err := r.Chunk(len(m.Chunks)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("chunk past the end: %v", err)
	}
	if err := s.MarkBlobComplete(id); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.BlobComplete(id); !ok || err != nil {
		t.Fatalf("BlobComplete = %v, %v", ok, err)
	}
}

// TestBlobResumePoint: a fetch resumes at the first chunk not held, and a
// blob is never marked complete with a chunk missing.
func TestBlobResumePoint(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { testBlobResumePoint(t, open(t), open(t)) })
	}
}

// stores opens a store of each kind, for tests of both chunk stores.
var stores = map[string]func(t *testing.T) *Store{
	"memory": func(t *testing.T) *Store { return openMem(t) },
	"disk":   func(t *testing.T) *Store { return openDisk(t, t.TempDir()) },
}

func openDisk(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func testBlobResumePoint(t *testing.T, src, dst *Store) {
	id, m := putSealed(t, src, bytes.Repeat([]byte{7}, 4*blob.ChunkSize))
	putChunks(t, src, dst, id, m, 0, 1, 3)
	if first, err := dst.BlobFirstMissing(id, m); first != 2 || err != nil {
		t.Fatalf("first missing = %d, %v, want 2", first, err)
	}
	if err := dst.MarkBlobComplete(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkBlobComplete with chunk 2 missing = %v", err)
	}
	if ok, _ := dst.BlobComplete(id); ok {
		t.Fatal("complete with a chunk missing")
	}
}

func TestBlobManifestMustMatchID(t *testing.T) {
	s := openMem(t)
	_, m := putSealed(t, s, []byte("scan"))
	other := blob.ID{1}
	if err := s.PutBlobManifest(other, m.Encode()); !errors.Is(err, blob.ErrManifest) {
		t.Fatalf("manifest under another id: %v", err)
	}
	if _, _, err := s.BlobManifest(other); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stored anyway: %v", err)
	}
	up, err := s.NewBlobUpload()
	if err != nil {
		t.Fatal(err)
	}
	defer up.Abort()
	if err := up.Put(0, make([]byte, blob.MaxChunkCiphertext+1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("oversized chunk: %v", err)
	}
}

// TestPendingBlobs: the attachments still to fetch are the blobs that
// records name without every chunk held, each once.
func TestPendingBlobs(t *testing.T) {
	s := openMem(t)
	done, _ := putSealed(t, s, []byte("held"))
	if err := s.MarkBlobComplete(done); err != nil {
		t.Fatal(err)
	}
	missing := blob.ID(sha256.Sum256([]byte("elsewhere")))
	a := newChain(t).author()
	for seq, id := range []blob.ID{done, missing, missing} {
		if err := s.AddBlobRef(id, BlobRef{Author: a, Seq: uint64(seq + 1), Size: int64(100 - seq)}); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := s.PendingBlobs()
	if err != nil || !slices.Equal(pending, []PendingBlob{{ID: missing, Size: 98}}) {
		t.Fatalf("pending %v, %v, want [%s] with the smaller size stated", pending, err, missing)
	}
	refs, err := s.BlobRefs(missing)
	if err != nil || len(refs) != 2 || refs[0].Seq != 2 || refs[1].Seq != 3 || refs[0].Author != a || refs[0].Size != 99 {
		t.Fatalf("refs %+v, %v", refs, err)
	}
}

func TestOwnBlobReuse(t *testing.T) {
	s := openMem(t)
	sum := sha256.Sum256([]byte("photo"))
	if _, _, ok, err := s.OwnBlob(sum); ok || err != nil {
		t.Fatalf("unknown file: %v %v", ok, err)
	}
	id, k := blob.ID{9}, blob.NewKey()
	if err := s.PutOwnBlob(sum, id, k); err != nil {
		t.Fatal(err)
	}
	if gid, gk, ok, err := s.OwnBlob(sum); !ok || err != nil || gid != id || gk != k {
		t.Fatalf("OwnBlob = %v %v %v", gid, ok, err)
	}
}

// TestBlobChunkWriter: chunks put through a writer are held once Flush
// returns, and a fetch resumes after them.
func TestBlobChunkWriter(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			src, dst := open(t), open(t)
			id, m := putSealed(t, src, bytes.Repeat([]byte{3}, 5*blob.ChunkSize))
			putChunks(t, src, dst, id, m, 0, 1, 2)
			if first, err := dst.BlobFirstMissing(id, m); first != 3 || err != nil {
				t.Fatalf("first missing %d, %v, want 3", first, err)
			}
			w, err := dst.NewBlobChunkWriter(id, m)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Put(0, make([]byte, blob.MaxChunkCiphertext+1)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("oversized chunk: %v", err)
			}
			if err := w.Put(len(m.Chunks), mustChunk(t, src, id, 0)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("chunk past the end: %v", err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVerifyBlobs: Verify finds a chunk altered on disk and a blob marked
// complete with a chunk missing.
func TestVerifyBlobs(t *testing.T) {
	s := openMem(t)
	id, m := putSealed(t, s, bytes.Repeat([]byte{5}, 3*blob.ChunkSize))
	if err := s.MarkBlobComplete(id); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Blobs != 1 {
		t.Fatalf("a sound blob: %+v, %v", rep, err)
	}
	altered := bytes.Clone(mustChunk(t, s, id, 1))
	altered[7] ^= 1
	if err := s.update(func(txn *badger.Txn) error { return txn.Set(makeKey(prefixBlobChunk, m.Chunks[1][:]), altered) }); err != nil {
		t.Fatal(err)
	}
	if err := s.update(func(txn *badger.Txn) error { return txn.Delete(makeKey(prefixBlobChunk, m.Chunks[2][:])) }); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Verify(context.Background())
	if err != nil || len(rep.Problems) != 3 || rep.Problems[0].Kind != ProblemBlob ||
		!strings.Contains(rep.Problems[0].Detail, "altered on disk") || !strings.Contains(rep.Problems[1].Detail, "chunk 2 of 3 missing") ||
		!strings.Contains(rep.Problems[2].Detail, "chunk 1 of 3 fails its manifest: altered on disk; recorded missing") {
		t.Fatalf("problems %+v, %v", rep.Problems, err)
	}
}

func mustChunk(t *testing.T, s *Store, id blob.ID, i int) []byte {
	t.Helper()
	r, err := s.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ct, err := r.Chunk(i)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// TestBackupKeepsBlobs: a backup carries the blobs, and the restored
// store holds each whole and verifies.
func TestBackupKeepsBlobs(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plain := bytes.Repeat([]byte("photo "), 700_000) // 4.2 MB, 65 chunks
	id, m := putSealed(t, s, plain)
	if err := s.MarkBlobComplete(id); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() + "/restored"
	if _, err := Restore(Options{Dir: dir, MinFree: -1}, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	r, err := Open(Options{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if done, err := r.BlobComplete(id); !done || err != nil {
		t.Fatalf("restored blob complete = %v, %v", done, err)
	}
	if first, _ := r.BlobFirstMissing(id, m); first != len(m.Chunks) {
		t.Fatalf("restored blob misses chunk %d", first)
	}
	if rep, err := r.Verify(context.Background()); err != nil || !rep.OK() || rep.Blobs != 1 {
		t.Fatalf("restored store: %+v, %v", rep, err)
	}
}
