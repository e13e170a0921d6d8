package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// reopen closes s and opens its directory again, as after a crash of the
// process (Badger and the blob files keep what was written).
func reopen(t *testing.T, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return openDisk(t, s.dir)
}

func blobFile(s *Store, id blob.ID) string { return filepath.Join(s.dir, blobDir, id.String()) }

// TestBlobChunkWrittenNotRecordedRefetched: a chunk whose bytes reached
// the blob file but whose record did not (the process died between) is
// not held: the fetch resumes before it and fetches it again.
func TestBlobChunkWrittenNotRecordedRefetched(t *testing.T) {
	src, dst := openMem(t), openDisk(t, t.TempDir())
	id, m := putSealed(t, src, bytes.Repeat([]byte{4}, 6*blob.ChunkSize))
	putChunks(t, src, dst, id, m, 0, 1)
	w, err := dst.NewBlobChunkWriter(id, m)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 5; i++ { // fewer than a batch: written, not recorded
		if err := w.Put(i, mustChunk(t, src, id, i)); err != nil {
			t.Fatal(err)
		}
	}
	dst = reopen(t, dst)
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("flush into the closed store: %v", err)
	}
	if first, err := dst.BlobFirstMissing(id, m); first != 2 || err != nil {
		t.Fatalf("first missing after the crash = %d, %v, want 2", first, err)
	}
	if _, err := os.Stat(blobFile(dst, id)); err != nil {
		t.Fatalf("the file of a blob with a manifest went on open: %v", err)
	}
	checkCRCs(t, dst, id) // chunks 2-4 written, their CRCs not recorded either
	putChunks(t, src, dst, id, m, 2, 3, 4, 5)
	checkCRCs(t, dst, id)
	if err := dst.MarkBlobComplete(id); err != nil {
		t.Fatal(err)
	}
	if rep, err := dst.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v, %v", rep.Problems, err)
	}
}

// TestBlobFileWithoutManifestRemovedOnOpen: a blob file no manifest
// names (a collection cut between its transaction and the file's
// deletion) and an upload never committed are deleted on open; a blob's
// file and other names are kept.
func TestBlobFileWithoutManifestRemovedOnOpen(t *testing.T) {
	s := openDisk(t, t.TempDir())
	id, m := putSealed(t, s, bytes.Repeat([]byte{1}, 2*blob.ChunkSize))
	orphan := blob.ID{0xaa}
	dir := filepath.Join(s.dir, blobDir)
	for _, name := range []string{orphan.String(), uploadPrefix + "123", "README"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, s)
	for name, want := range map[string]bool{orphan.String(): false, uploadPrefix + "123": false, "README": true, id.String(): true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
	if first, _ := s.BlobFirstMissing(id, m); first != len(m.Chunks) {
		t.Fatalf("kept blob misses chunk %d", first)
	}
}

// TestBlobFileCorruptionFound: a chunk altered in its file, or cut off
// by a truncated file, is reported by verify, which records both missing
// and the blob incomplete (so a fetch gets them again), and is never
// returned as held with wrong bytes.
func TestBlobFileCorruptionFound(t *testing.T) {
	s := openDisk(t, t.TempDir())
	id, m := putSealed(t, s, bytes.Repeat([]byte{2}, 4*blob.ChunkSize))
	r, err := s.OpenBlob(id) // opened before verify: it reads what was held then
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.OpenFile(blobFile(s, id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0xff}, chunkOffset(1)+9); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(chunkOffset(3) + 100); err != nil {
		t.Fatal(err)
	}
	if ct, err := r.Chunk(1); err != nil || m.Verify(1, ct) == nil {
		t.Fatalf("altered chunk read: %v (a server checks it)", err)
	}
	if _, err := r.Chunk(3); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("chunk cut off: %v, want ErrCorrupt", err)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0].Detail, "chunk 1 of 4 fails its manifest") ||
		!strings.Contains(rep.Problems[1].Detail, "chunk 3 of 4") || !strings.Contains(rep.Problems[1].Detail, "recorded missing") {
		t.Fatalf("problems %+v, %v", rep.Problems, err)
	}
	want := []DamagedChunk{{Blob: id.String(), Chunk: 1, Chunks: 4, Marked: true}, {Blob: id.String(), Chunk: 3, Chunks: 4, Marked: true}}
	if !reflect.DeepEqual(rep.Damaged, want) {
		t.Fatalf("damaged %+v, want %+v", rep.Damaged, want)
	}
	if first, err := s.BlobFirstMissing(id, m); first != 1 || err != nil {
		t.Fatalf("first missing after verify = %d, %v, want 1", first, err)
	}
	if done, _ := s.BlobComplete(id); done {
		t.Fatal("blob still complete with two chunks recorded missing")
	}
	r2, err := s.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	for _, i := range []int{1, 3} {
		if _, err := r2.Chunk(i); !errors.Is(err, ErrNotFound) {
			t.Fatalf("chunk %d after verify: %v, want ErrNotFound", i, err)
		}
	}
	if _, err := r2.Chunk(2); err != nil {
		t.Fatalf("a sound chunk after verify: %v", err)
	}
	if rep, err := s.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("verify again: %+v, %v", rep.Problems, err)
	}
}

// TestVerifyDamageRepairable: a damaged chunk is repairable when a record
// of another author names its blob (that author holds it), not when this
// node sealed it.
func TestVerifyDamageRepairable(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			theirs, _ := putSealed(t, s, bytes.Repeat([]byte{3}, 2*blob.ChunkSize))
			mine, _ := putSealed(t, s, bytes.Repeat([]byte{4}, 2*blob.ChunkSize))
			in := crypto.PublicKey{1}
			if err := s.AddBlobRef(theirs, BlobRef{Author: in, Seq: 4, Size: 2 * blob.ChunkSize}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutOwnBlob([32]byte{9}, mine, blob.NewKey()); err != nil {
				t.Fatal(err)
			}
			for _, id := range []blob.ID{theirs, mine} {
				damageChunk(t, s, id, 1)
			}
			rep, err := s.Verify(context.Background())
			if err != nil || len(rep.Damaged) != 2 {
				t.Fatalf("damaged %+v, %v", rep.Damaged, err)
			}
			for _, d := range rep.Damaged {
				want := DamagedChunk{Blob: d.Blob, Chunk: 1, Chunks: 2, Marked: true}
				if d.Blob == theirs.String() {
					want.Repairable, want.Holders = true, []string{in.Fingerprint()}
				} else {
					want.Sealed = true
				}
				if !reflect.DeepEqual(d, want) {
					t.Errorf("damaged %+v, want %+v", d, want)
				}
			}
			var details string
			for _, p := range rep.Problems {
				details += p.Detail + "\n"
			}
			if !strings.Contains(details, "repairable: fetched again from a partner (author "+in.Fingerprint()) ||
				!strings.Contains(details, "not repairable from an author: this node sealed it") {
				t.Fatalf("problems:\n%s", details)
			}
		})
	}
}

// damageChunk alters one byte of chunk i of blob id where the store keeps
// it: its file on disk, its Badger value in memory.
func damageChunk(t *testing.T, s *Store, id blob.ID, i int) {
	t.Helper()
	if s.chunks.shared() {
		m, _, err := s.BlobManifest(id)
		if err != nil {
			t.Fatal(err)
		}
		altered := bytes.Clone(mustChunk(t, s, id, i))
		altered[5] ^= 1
		if err := s.update(func(txn *badger.Txn) error { return txn.Set(chunkKey(m.Chunks[i]), altered) }); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.OpenFile(blobFile(s, id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, chunkOffset(i)+5); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{b[0] ^ 1}, chunkOffset(i)+5); err != nil {
		t.Fatal(err)
	}
}

// TestBlobGCDeletesFile: collecting a blob on disk deletes its file and
// its record of chunks held; BlobBytes counts the files.
func TestBlobGCDeletesFile(t *testing.T) {
	s := openDisk(t, t.TempDir())
	id, m := putSealed(t, s, bytes.Repeat([]byte{3}, 2*blob.ChunkSize+5))
	if n, err := s.BlobBytes(); err != nil || n != blobFileSize(m) {
		t.Fatalf("BlobBytes = %d, %v, want %d", n, err, blobFileSize(m))
	}
	res := gcAfter(t, s, 8, nil)
	if len(res.Blobs) != 1 || res.Chunks != len(m.Chunks) || res.Bytes != blobFileSize(m) {
		t.Fatalf("pass = %+v", res)
	}
	if _, err := os.Stat(blobFile(s, id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("blob file after collection: %v", err)
	}
	if n, err := s.BlobBytes(); err != nil || n != 0 {
		t.Fatalf("BlobBytes after collection = %d, %v", n, err)
	}
	err := s.view(func(txn *badger.Txn) error {
		if ok, _ := has(txn, chunksHeldKey(id)); ok {
			return errors.New("record of chunks held left")
		}
		if ok, _ := has(txn, chunkCRCsKey(id)); ok {
			return errors.New("record of chunk CRCs left")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayout2ChunksMovedToFiles: a layout-2 store keeps chunks in Badger;
// opening it, or restoring its backup, moves them into blob files, keeps
// a complete blob complete, unmarks one whose chunk was missing, drops
// chunks no manifest lists and upgrades the layout.
func TestLayout2ChunksMovedToFiles(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		s, ids, ms := layout2Store(t)
		checkMovedToFiles(t, reopen(t, s), ids, ms)
	})
	t.Run("restore", func(t *testing.T) {
		s, ids, ms := layout2Store(t)
		var buf bytes.Buffer
		if info, err := s.Backup(context.Background(), &buf); err != nil || info.Layout != 2 {
			t.Fatalf("backup of the layout-2 store: layout %d, %v", info.Layout, err)
		}
		dir := filepath.Join(t.TempDir(), "restored")
		if _, err := Restore(Options{Dir: dir, MinFree: -1}, &buf); err != nil {
			t.Fatal(err)
		}
		checkMovedToFiles(t, openDisk(t, dir), ids, ms)
	})
}

// layout2Store returns a store on disk as layout 2 left it: a whole blob
// and one missing chunk 1, their chunks in b/c/, and a chunk no manifest
// lists.
func layout2Store(t *testing.T) (*Store, [2]blob.ID, [2]*blob.Manifest) {
	s := openDisk(t, t.TempDir())
	whole, wm := putSealed(t, s, bytes.Repeat([]byte{5}, 3*blob.ChunkSize))
	part, pm := putSealed(t, s, bytes.Repeat([]byte{6}, 2*blob.ChunkSize))
	loose := bytes.Repeat([]byte{7}, 40)
	err := s.db.Update(func(txn *badger.Txn) error {
		for _, b := range []struct {
			id   blob.ID
			skip int
		}{{whole, -1}, {part, 1}} {
			if err := toLayout2(txn, s, b.id, b.skip); err != nil {
				return err
			}
		}
		return errors.Join(txn.Set(chunkKey([32]byte{7}), loose), txn.Set(keyVersion, be32(2)))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []blob.ID{whole, part} {
		if err := os.Remove(blobFile(s, id)); err != nil {
			t.Fatal(err)
		}
	}
	return s, [2]blob.ID{whole, part}, [2]*blob.Manifest{wm, pm}
}

func checkMovedToFiles(t *testing.T, s *Store, ids [2]blob.ID, ms [2]*blob.Manifest) {
	t.Helper()
	whole, part, wm, pm := ids[0], ids[1], ms[0], ms[1]
	checkCRCs(t, s, whole)
	checkCRCs(t, s, part)
	if first, _ := s.BlobFirstMissing(whole, wm); first != len(wm.Chunks) {
		t.Fatalf("moved blob misses chunk %d", first)
	}
	if first, _ := s.BlobFirstMissing(part, pm); first != 1 {
		t.Fatalf("blob missing chunk 1: first missing %d", first)
	}
	if done, _ := s.BlobComplete(part); done {
		t.Fatal("a blob with a chunk missing still marked complete")
	}
	if rep, err := s.Verify(context.Background()); err != nil || !rep.OK() || rep.Blobs != 2 {
		t.Fatalf("verify after the move: %+v, %v", rep, err)
	}
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, keyVersion)
		if err == nil && uint32FromBE(v) != layoutVersion {
			err = errors.New("layout not upgraded")
		}
		return errors.Join(err, scanKeys(txn, []byte(prefixBlobChunk), func([]byte) error { return errors.New("chunk left in badger") }))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// toLayout2 rewrites blob id as layout 2 kept it: chunks in b/c/ (all
// but skip), no record of chunks held.
func toLayout2(txn *badger.Txn, s *Store, id blob.ID, skip int) error {
	r, err := s.OpenBlob(id)
	if err != nil {
		return err
	}
	defer r.Close()
	for i, h := range r.Manifest.Chunks {
		ct, err := r.Chunk(i)
		if err != nil {
			return err
		}
		if i != skip {
			if err := txn.Set(chunkKey(h), ct); err != nil {
				return err
			}
		}
	}
	return deleteChunkRecord(txn, id)
}

// TestBackupCarriesBlobFiles: a backup of a store on disk carries the
// chunks of its blob files, counted, and a restore puts them back into
// files; a chunk altered on disk is left out and fetched again.
func TestBackupCarriesBlobFiles(t *testing.T) {
	s := openDisk(t, t.TempDir())
	id, m := putSealed(t, s, bytes.Repeat([]byte("scan "), 40_000)) // 4 chunks
	bad, bm := putSealed(t, s, bytes.Repeat([]byte("bad "), 40_000))
	f, err := os.OpenFile(blobFile(s, bad), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt([]byte{0}, chunkOffset(2)+1)
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := s.Backup(context.Background(), &buf)
	if err != nil || info.Chunks != len(m.Chunks)+len(bm.Chunks)-1 {
		t.Fatalf("backup: %d chunks, %v, want %d", info.Chunks, err, len(m.Chunks)+len(bm.Chunks)-1)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(Options{Dir: dir, MinFree: -1}, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	r := openDisk(t, dir)
	if first, _ := r.BlobFirstMissing(id, m); first != len(m.Chunks) {
		t.Fatalf("restored blob misses chunk %d", first)
	}
	if first, _ := r.BlobFirstMissing(bad, bm); first != 2 {
		t.Fatalf("restored blob with an altered chunk: first missing %d, want 2", first)
	}
	if done, _ := r.BlobComplete(bad); done {
		t.Fatal("restored blob with a chunk left out still complete")
	}
	if _, err := os.Stat(blobFile(r, id)); err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("restored store: %+v, %v", rep.Problems, err)
	}
}

// TestUploadAbortLeavesNothing: an upload aborted (a seal that failed)
// leaves no file; one cut by a crash is deleted on open.
func TestUploadAbortLeavesNothing(t *testing.T) {
	s := openDisk(t, t.TempDir())
	up, err := s.NewBlobUpload()
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Put(0, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	up.Abort()
	cut, err := s.NewBlobUpload()
	if err != nil {
		t.Fatal(err)
	}
	defer cut.Abort()
	if err := cut.Put(0, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.BlobBytes(); n != 100 {
		t.Fatalf("BlobBytes with one upload of 100 bytes = %d", n)
	}
	s = reopen(t, s)
	if n, _ := s.BlobBytes(); n != 0 {
		t.Fatalf("BlobBytes after reopening = %d, want 0", n)
	}
}

// TestBlobWriterNeedsRoom: a fetch starts only when the whole blob fits
// above the free space reserve, so that its chunks never take the disk
// below it.
func TestBlobWriterNeedsRoom(t *testing.T) {
	src, dst := openMem(t), openDir(t, t.TempDir())
	id, m := putSealed(t, src, bytes.Repeat([]byte{8}, 3*blob.ChunkSize))
	if err := dst.PutBlobManifest(id, m.Encode()); err != nil {
		t.Fatal(err)
	}
	free := uint64(DefaultMinFree + blobFileSize(m) - 1)
	dst.freeSpace = func(string) (uint64, error) { return free, nil }
	if _, err := dst.NewBlobChunkWriter(id, m); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "a file of") {
		t.Fatalf("writer with room for all but one byte: %v, want ErrFull", err)
	}
	free++
	putChunks(t, src, dst, id, m, 0, 1, 2)
}

// TestDropBlobChunk: a chunk found damaged is recorded missing and its
// blob incomplete, in either store, so that a fetch gets it again; an
// index outside the blob is refused.
func TestDropBlobChunk(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			id, m := putSealed(t, s, bytes.Repeat([]byte{9}, 3*blob.ChunkSize))
			if err := s.DropBlobChunk(id, 1); err != nil {
				t.Fatal(err)
			}
			if first, _ := s.BlobFirstMissing(id, m); first != 1 {
				t.Fatalf("first missing %d, want 1", first)
			}
			if done, _ := s.BlobComplete(id); done {
				t.Fatal("still complete")
			}
			if err := s.DropBlobChunk(id, 3); !errors.Is(err, ErrInvalid) {
				t.Fatalf("chunk 3 of 3: %v", err)
			}
		})
	}
}
