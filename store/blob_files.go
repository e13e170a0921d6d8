package store

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// blobDir is where a store on disk keeps blob files, under its directory.
const blobDir = "blobs"

// uploadPrefix names the file an author's chunks go to before the blob id
// is known.
const uploadPrefix = "upload-"

// blobSyncChunks is how many chunks a fetch writes before waking its
// syncer, which makes what is written durable (one fsync) and records it
// held (one transaction): at least 1 MiB, a range of a fetch.
const blobSyncChunks = 16

// fileChunks keeps each blob's chunks in a file of its own, dir/<id>,
// chunk i at byte i × blob.MaxChunkCiphertext, written in place; Badger
// records which chunks are durable there (b/h/). A chunk counts as held
// only once its bytes were synced and that record committed, so a crash
// at any instant leaves chunks written but not recorded, fetched again.
// A file no manifest names is garbage, deleted on open ([fileChunks.tidy]).
type fileChunks struct {
	s   *Store
	dir string
}

func (c fileChunks) path(id blob.ID) string { return filepath.Join(c.dir, id.String()) }

// chunkOffset is where chunk i starts in its blob's file.
func chunkOffset(i int) int64 { return int64(i) * blob.MaxChunkCiphertext }

// blobFileSize is the size of the file of the blob m describes.
func blobFileSize(m *blob.Manifest) int64 {
	n := len(m.Chunks)
	return chunkOffset(n-1) + int64(blob.CiphertextLen(m.Size, n-1))
}

// chunksHeldKey is the record of which chunks of blob id are durable in its
// file: a bitmap, chunk i at bit i%8 of byte i/8.
func chunksHeldKey(id blob.ID) []byte { return blobKey(prefixBlobHeld, id) }

// readChunksHeld returns the held bitmap of blob id with n chunks (all clear
// when none is recorded).
func readChunksHeld(txn *badger.Txn, id blob.ID, n int) ([]byte, error) {
	v, err := getValue(txn, chunksHeldKey(id))
	switch {
	case errors.Is(err, ErrNotFound):
		return make([]byte, (n+7)/8), nil
	case err != nil:
		return nil, err
	case len(v) != (n+7)/8:
		return nil, fmt.Errorf("held chunks of blob %s: %d bytes for %d chunks: %w", id, len(v), n, ErrCorrupt)
	}
	return v, nil
}

func isHeld(held []byte, i int) bool { return held[i/8]&(1<<(i%8)) != 0 }

func setHeld(held []byte, i int) { held[i/8] |= 1 << (i % 8) }

func countHeld(held []byte) int {
	n := 0
	for _, b := range held {
		n += bits.OnesCount8(b)
	}
	return n
}

func (c fileChunks) firstMissing(txn *badger.Txn, id blob.ID, m *blob.Manifest) (int, error) {
	held, err := readChunksHeld(txn, id, len(m.Chunks))
	if err != nil {
		return 0, err
	}
	for i := range m.Chunks {
		if !isHeld(held, i) {
			return i, nil
		}
	}
	return len(m.Chunks), nil
}

func (c fileChunks) reader(txn *badger.Txn, id blob.ID, m *blob.Manifest) (chunkReader, error) {
	var rec chunkRecord
	var err error
	if txn != nil {
		rec, err = readChunkRecord(txn, id, len(m.Chunks))
	} else {
		err = c.s.view(func(txn *badger.Txn) error { rec, err = readChunkRecord(txn, id, len(m.Chunks)); return err })
	}
	if err != nil {
		return nil, err
	}
	f, err := os.Open(c.path(id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return &fileReader{id: id, m: m, rec: rec, f: f}, nil
}

// fileReader reads chunks from a blob's file, those recorded held when it
// was opened.
type fileReader struct {
	id  blob.ID
	m   *blob.Manifest
	rec chunkRecord
	f   *os.File // nil: no file
}

func (r *fileReader) crc(i int) uint32 { return r.rec.crc(i) }

func (r *fileReader) chunk(i int, buf []byte) ([]byte, error) {
	if !isHeld(r.rec.held, i) {
		return nil, ErrNotFound
	}
	if r.f == nil {
		return nil, fmt.Errorf("chunk %d of blob %s recorded held, its file missing: %w", i, r.id, ErrCorrupt)
	}
	n := blob.CiphertextLen(r.m.Size, i)
	b := buf[:0]
	if cap(b) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	if _, err := r.f.ReadAt(b, chunkOffset(i)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("chunk %d of blob %s recorded held, past the end of its file: %w", i, r.id, ErrCorrupt)
		}
		return nil, fmt.Errorf("read chunk %d of blob %s: %w", i, r.id, err)
	}
	return b, nil
}

func (r *fileReader) close() {
	if r.f != nil {
		_ = r.f.Close()
	}
}

func (c fileChunks) writer(id blob.ID, m *blob.Manifest) (chunkWriter, error) {
	f, err := c.create(id, m)
	if err != nil {
		return nil, err
	}
	w := &fileWriter{c: c, id: id, n: len(m.Chunks), f: f, done: make(chan struct{})}
	w.wake = sync.NewCond(&w.mu)
	go w.sync()
	return w, nil
}

// create opens the file of blob id, creating it at its full size (sparse)
// and syncing the directory that names it when it is new.
func (c fileChunks) create(id blob.ID, m *blob.Manifest) (*os.File, error) {
	f, err := os.OpenFile(c.path(id), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fullError(err)
	}
	info, err := f.Stat()
	if err == nil && info.Size() != blobFileSize(m) {
		err = f.Truncate(blobFileSize(m))
		if err == nil {
			err = syncDir(c.dir)
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fullError(err)
	}
	return f, nil
}

// fileWriter writes chunks in place as they come; a syncer goroutine makes
// them durable, then records them held. The syncer takes every chunk
// written since its last round at once (a group commit): as many fsyncs
// as the disk has time for, never one per chunk, and the writer never
// waits for the disk (a 1 MiB batch per fsync held a 50 MB fetch to 100
// MB/s on a busy disk, docs/performance.md).
type fileWriter struct {
	c     fileChunks
	id    blob.ID
	n     int
	f     *os.File
	batch int           // chunks written since the last hand-over
	done  chan struct{} // closed when the syncer ends

	mu      sync.Mutex // guards the fields below
	wake    *sync.Cond // signals pending or ended
	pending []written  // written, not yet taken by the syncer
	ended   bool       // flush ran: the syncer ends once pending is empty
	syncErr error      // the syncer's first error
}

// written is a chunk written to its file, with the CRC-32C of what was
// written: recorded with it, a server checks the chunk against it before
// sending it.
type written struct {
	i   int
	crc uint32
}

func (w *fileWriter) put(i int, ct []byte) error {
	if err := w.err(); err != nil {
		return err
	}
	if _, err := w.f.WriteAt(ct, chunkOffset(i)); err != nil {
		return fmt.Errorf("write chunk %d of blob %s: %w", i, w.id, fullError(err))
	}
	w.mu.Lock()
	w.pending = append(w.pending, written{i, chunkCRC(ct)})
	w.mu.Unlock()
	if w.batch++; w.batch == blobSyncChunks {
		w.batch = 0
		w.wake.Signal()
	}
	return nil
}

func (w *fileWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.syncErr
}

// take waits for chunks to sync, or the end, and takes them.
func (w *fileWriter) take() (chunks []written, end bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.pending) < blobSyncChunks && !w.ended {
		w.wake.Wait()
	}
	chunks, w.pending = w.pending, nil
	return chunks, w.ended && len(chunks) == 0
}

// sync makes what was written durable, then records it held: never the
// other way round, or a crash could leave a chunk held that is not on
// disk. After an error it only drains what comes.
func (w *fileWriter) sync() {
	defer close(w.done)
	for {
		chunks, end := w.take()
		if end {
			return
		}
		if w.err() != nil {
			continue
		}
		err := syncData(w.f)
		if err == nil {
			err = w.c.recordHeld(w.id, w.n, chunks)
		}
		if err != nil {
			w.mu.Lock()
			w.syncErr = fmt.Errorf("record chunks of blob %s held: %w", w.id, fullError(err))
			w.mu.Unlock()
		}
	}
}

// recordHeld records chunks of blob id (n chunks) held, with their CRCs.
func (c fileChunks) recordHeld(id blob.ID, n int, chunks []written) error {
	return c.s.update(func(txn *badger.Txn) error {
		if ok, err := has(txn, blobKey(prefixBlobManifest, id)); err != nil || !ok {
			return cmpErr(err, fmt.Errorf("its manifest is gone: %w", ErrNotFound))
		}
		rec, err := readChunkRecord(txn, id, n)
		if err != nil {
			return err
		}
		for _, w := range chunks {
			rec.set(w.i, w.crc)
		}
		return rec.write(txn, id)
	})
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func (w *fileWriter) flush() error {
	w.mu.Lock()
	if w.ended {
		w.mu.Unlock()
		return errors.New("flush blob writer: flushed already")
	}
	w.ended = true
	w.mu.Unlock()
	w.wake.Signal()
	<-w.done
	return errors.Join(w.err(), w.f.Close())
}

func (c fileChunks) upload() (chunkUpload, error) {
	f, err := os.CreateTemp(c.dir, uploadPrefix+"*")
	if err != nil {
		return nil, fullError(err)
	}
	return &fileUpload{c: c, f: f}, nil
}

// fileUpload writes an author's chunks to a temporary file, renamed to
// the blob's once sealing names it.
type fileUpload struct {
	c       fileChunks
	f       *os.File
	n       int
	crcs    []uint32 // of each chunk written
	renamed string   // the blob file, once renamed
}

func (u *fileUpload) put(i int, ct []byte) error {
	if i != u.n {
		return fmt.Errorf("%w: upload chunk %d where %d was due", ErrInvalid, i, u.n)
	}
	if _, err := u.f.WriteAt(ct, chunkOffset(i)); err != nil {
		return fmt.Errorf("write chunk %d of an upload: %w", i, fullError(err))
	}
	u.crcs = append(u.crcs, chunkCRC(ct))
	u.n++
	return nil
}

func (u *fileUpload) commit(txn *badger.Txn, id blob.ID, m *blob.Manifest) (func(), error) {
	if u.n != len(m.Chunks) {
		return nil, fmt.Errorf("%w: upload of %d chunks, manifest of %d", ErrInvalid, u.n, len(m.Chunks))
	}
	err := syncData(u.f)
	err = errors.Join(err, u.f.Close())
	if err == nil {
		err = os.Rename(u.f.Name(), u.c.path(id))
	}
	if err != nil {
		return nil, fmt.Errorf("store upload as blob %s: %w", id, fullError(err))
	}
	u.renamed = u.c.path(id)
	if err := syncDir(u.c.dir); err != nil {
		return nil, err
	}
	rec := chunkRecord{held: make([]byte, (u.n+7)/8), crcs: make([]byte, 4*u.n)}
	for i, crc := range u.crcs {
		rec.set(i, crc)
	}
	return func() { u.renamed = "" }, rec.write(txn, id)
}

// abort deletes the upload's file, unless its blob was recorded.
func (u *fileUpload) abort() {
	_ = u.f.Close()
	_ = os.Remove(u.f.Name())
	if u.renamed != "" {
		_ = os.Remove(u.renamed)
	}
}

func (fileChunks) shared() bool { return false }

// remove deletes the held record; the file goes once txn commits (a crash
// between them leaves a file no manifest names, deleted on open). A chunk
// several blobs list is in each one's file.
func (c fileChunks) remove(txn *badger.Txn, id blob.ID, m *blob.Manifest, _ map[[32]byte]bool) (int, int64, func(), error) {
	held, err := readChunksHeld(txn, id, len(m.Chunks))
	if err != nil {
		return 0, 0, nil, err
	}
	var size int64
	if info, err := os.Stat(c.path(id)); err == nil {
		size = info.Size()
	}
	done := func() {
		if err := os.Remove(c.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.s.logger.Warn("cannot delete blob file; deleted on next open", "blob", id, "err", err)
		}
	}
	return countHeld(held), size, done, deleteChunkRecord(txn, id)
}

func (fileChunks) drop(txn *badger.Txn, id blob.ID, m *blob.Manifest, i int) error {
	rec, err := readChunkRecord(txn, id, len(m.Chunks))
	if err != nil {
		return err
	}
	rec.clear(i)
	return rec.write(txn, id)
}

func (c fileChunks) bytes() (int64, error) {
	names, err := os.ReadDir(c.dir)
	if err != nil {
		return 0, fmt.Errorf("measure blob files: %w", err)
	}
	var total int64
	for _, d := range names {
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
	}
	return total, nil
}

// tidy deletes what a crash can leave in dir: uploads never recorded, and
// blob files no manifest names (a collection cut between its transaction
// and the file's deletion, a blob never recorded).
func (c fileChunks) tidy() error {
	names, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("list blob files: %w", err)
	}
	for _, d := range names {
		garbage, err := c.garbage(d.Name())
		if err != nil {
			return err
		}
		if garbage {
			c.s.logger.Info("deleting a blob file no manifest names", "file", d.Name())
			if err := os.Remove(filepath.Join(c.dir, d.Name())); err != nil {
				return fmt.Errorf("delete blob file: %w", err)
			}
		}
	}
	return nil
}

// garbage reports whether the file name in the blob directory is an
// upload or a blob without a manifest. Other names are left alone.
func (c fileChunks) garbage(name string) (bool, error) {
	if strings.HasPrefix(name, uploadPrefix) {
		return true, nil
	}
	id, err := blob.ParseID(name)
	if err != nil {
		return false, nil
	}
	var ok bool
	err = c.s.view(func(txn *badger.Txn) error {
		ok, err = has(txn, blobKey(prefixBlobManifest, id))
		return err
	})
	return !ok, err
}

// syncDir makes the names in dir durable (Windows cannot sync a
// directory; NTFS journals names).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
