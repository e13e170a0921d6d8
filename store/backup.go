package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
	"google.golang.org/protobuf/proto"
)

// A backup stream is Badger's backup format (what badger's DB.Backup
// writes and DB.Load reads): frames of a little-endian uint64 length and
// a protobuf KVList. It holds the latest version of every live key, read
// in one snapshot, decrypted: whoever writes it to a file encrypts it;
// then, from a store on disk, the chunks of its blob files as b/c/ keys
// (the layout an in-memory store and layout 2 keep them in), which [Open]
// moves back into files after a restore.

// maxBackupFrame bounds one frame of a backup stream on restore. Badger's
// stream sends batches of at most 100 MiB.
const maxBackupFrame = 128 << 20

// BackupInfo describes what [Store.Backup] wrote, counted from the stream
// itself, so it matches the snapshot exactly.
type BackupInfo struct {
	Layout     uint32            `json:"layout"`      // the store's layout version
	StoreID    string            `json:"store_id"`    // the "self/store-id" metadata, "" when absent
	Keys       int               `json:"keys"`        // every key
	Feeds      int               `json:"feeds"`       // feed heads
	Entries    int               `json:"entries"`     // feed entries
	Records    int               `json:"records"`     // decrypted records
	Partners   int               `json:"partners"`    // pinned partners, removed ones included
	Audit      int               `json:"audit"`       // audit log records
	Chunks     int               `json:"blob_chunks"` // attachment chunks (their bytes: the blob files' on disk)
	Heads      map[string]uint64 `json:"heads"`       // author public key (hex) -> head seq
	StreamSize int64             `json:"stream_size"` // bytes of the backup stream
}

// count adds one streamed key and its value to the counts.
func (b *BackupInfo) count(k, v []byte) {
	b.Keys++
	switch {
	case bytes.Equal(k, keyVersion) && len(v) == 4:
		b.Layout = uint32FromBE(v)
	case bytes.Equal(k, metaKey(StoreIDMeta)):
		b.StoreID = string(v)
	case bytes.HasPrefix(k, []byte(prefixHead)):
		b.Feeds++
		if len(k) == len(prefixHead)+authorLen && len(v) >= 8 {
			b.Heads[hex.EncodeToString(k[len(prefixHead):])] = uint64FromBE(v[:8])
		}
	case bytes.HasPrefix(k, []byte(prefixEntry)):
		b.Entries++
	case bytes.HasPrefix(k, []byte(prefixRecord)):
		b.Records++
	case bytes.HasPrefix(k, []byte(prefixPartner)):
		b.Partners++
	case bytes.HasPrefix(k, []byte(prefixAudit)):
		b.Audit++
	case bytes.HasPrefix(k, []byte(prefixBlobChunk)):
		b.Chunks++
	}
}

// StoreIDMeta is the metadata key of the store's identity, which the
// node's home repeats in its store.id file; [BackupInfo.StoreID] is its
// value.
const StoreIDMeta = "self/store-id"

// Backup writes a consistent snapshot of the whole store to w as a backup
// stream, while the store stays in use, and describes what it wrote.
// The stream is plaintext even when the store is encrypted.
func (s *Store) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return BackupInfo{}, ErrClosed
	}
	info := BackupInfo{Heads: map[string]uint64{}}
	cw := &countingWriter{w: w}
	stream := s.db.NewStream()
	stream.LogPrefix = "kpnode backup"
	// One producer: Badger's stream (in non-managed mode) opens one read
	// transaction per producer goroutine, each at its own moment, so with
	// several the key ranges of a node being written to come from different
	// snapshots (a record without its entry: restore's verify refused such
	// a backup). One goroutine reads every range in one transaction.
	stream.NumGo = 1
	stream.Send = func(buf *z.Buffer) error { return sendFrame(buf, cw, &info) }
	if err := stream.Orchestrate(ctx); err != nil {
		return BackupInfo{}, fmt.Errorf("back up store: %w", err)
	}
	if files, ok := s.chunks.(fileChunks); ok {
		// Blob files are read after Badger's snapshot: a blob collected
		// meanwhile restores without chunks, incomplete and collectable;
		// one stored meanwhile brings chunks no manifest lists, dropped.
		err := files.backupChunks(ctx, func(list *pb.KVList) error { return writeKVList(cw, list, &info) })
		if err != nil {
			return BackupInfo{}, fmt.Errorf("back up store: %w", err)
		}
	}
	info.StreamSize = cw.n
	return info, nil
}

// sendFrame writes one batch of the stream as a backup frame.
func sendFrame(buf *z.Buffer, w io.Writer, info *BackupInfo) error {
	list, err := badger.BufferToKVList(buf)
	if err != nil {
		return err
	}
	out := list.Kv[:0]
	for _, kv := range list.Kv {
		if !kv.StreamDone {
			out = append(out, kv)
		}
	}
	list.Kv = out
	return writeKVList(w, list, info)
}

// writeKVList writes list as one backup frame, counting its keys into info
// unless nil.
func writeKVList(w io.Writer, list *pb.KVList, info *BackupInfo) error {
	if info != nil {
		for _, kv := range list.Kv {
			info.count(kv.Key, kv.Value)
		}
	}
	b, err := proto.Marshal(list)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(b))); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Restore creates the store described by opts from a backup stream read
// from r, and returns what it loaded. The directory must not hold a store
// yet. It checks every frame's size before reading it and refuses a
// stream that is not a kpnode store of this layout or one [Open]
// upgrades; on any error the caller removes opts.Dir. Open the store
// afterwards with [Open], which upgrades an older layout.
func Restore(opts Options, r io.Reader) (BackupInfo, error) {
	if err := opts.Validate(); err != nil {
		return BackupInfo{}, fmt.Errorf("restore store: %w", err)
	}
	if err := checkNoStore(opts); err != nil {
		return BackupInfo{}, err
	}
	if !opts.InMemory {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return BackupInfo{}, fmt.Errorf("restore store: %w", err)
		}
	}
	db, err := openBadger(badgerOptions(opts))
	if err != nil {
		return BackupInfo{}, openError(opts.Dir, err)
	}
	fr := &frameReader{r: r, info: BackupInfo{Heads: map[string]uint64{}}}
	err = db.Load(fr, 16)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil && fr.err == nil {
		err = checkLoaded(fr.info)
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore store: %w", errors.Join(fr.err, err))
	}
	fr.info.StreamSize = fr.n
	return fr.info, nil
}

func checkNoStore(opts Options) error {
	if opts.InMemory {
		return nil
	}
	names, err := os.ReadDir(opts.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore store: %w", err)
	}
	if len(names) > 0 {
		return fmt.Errorf("restore store: %w: %s is not empty", ErrBackup, opts.Dir)
	}
	return nil
}

func checkLoaded(info BackupInfo) error {
	if info.Keys == 0 {
		return fmt.Errorf("%w: the stream holds no keys", ErrBackup)
	}
	if info.Layout != layoutVersion && !slices.Contains(upgradableLayouts, info.Layout) {
		return fmt.Errorf("%w: the stream has layout %d, this build restores layouts %v and %d", ErrLayoutVersion, info.Layout, upgradableLayouts, layoutVersion)
	}
	return nil
}

// frameReader passes a backup stream through to Badger's Load one whole
// frame at a time, after checking each frame's size and decoding it to
// count its keys: Load itself would allocate whatever length a frame
// claims.
type frameReader struct {
	r    io.Reader
	buf  []byte // the current frame, length prefix included, not yet read
	n    int64
	info BackupInfo
	err  error // why the stream was refused; Load sees only io.ErrUnexpectedEOF
}

func (f *frameReader) Read(p []byte) (int, error) {
	if len(f.buf) == 0 {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

// next reads and checks the next frame.
func (f *frameReader) next() error {
	var hdr [8]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return f.fail("frame at byte %d: truncated length", f.n)
	}
	size := binary.LittleEndian.Uint64(hdr[:])
	if size > maxBackupFrame {
		return f.fail("frame at byte %d: length %d exceeds the limit of %d", f.n, size, maxBackupFrame)
	}
	frame := make([]byte, 8+size)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(f.r, frame[8:]); err != nil {
		return f.fail("frame at byte %d: truncated (%v)", f.n, err)
	}
	var list pb.KVList
	if err := proto.Unmarshal(frame[8:], &list); err != nil {
		return f.fail("frame at byte %d: %v", f.n, err)
	}
	for _, kv := range list.Kv {
		f.info.count(kv.Key, kv.Value)
	}
	f.n += int64(len(frame))
	f.buf = frame
	return nil
}

func (f *frameReader) fail(format string, a ...any) error {
	f.err = fmt.Errorf("%w: "+format, append([]any{ErrBackup}, a...)...)
	return io.ErrUnexpectedEOF
}
