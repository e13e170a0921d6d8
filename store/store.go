package store

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// layoutVersion is the version of the key layout and value encodings
// described in docs/storage.md. Bump it, and teach [Open] to migrate or
// refuse, whenever either changes.
//
// Layout 2 adds to layout 1 the audit log ("a/" keys) and record values
// that keep their salt (encoding 2); every layout-1 key and value is still
// valid. A layout-1 build refuses a layout-2 store: it would take
// operator actions without writing them to the audit log.
//
// Layout 3 stores record bodies compressed (encodings 3 and 4,
// record_codec.go) and keeps the chunks of blobs on disk in files of their
// own (<dir>/blobs/<id>) with a record of those held (b/h/), no longer in
// Badger (b/c/). [Open] upgrades a layout-1 or -2 store by rewriting its
// record values (see [Store.migrate]) and moving its chunks
// ([fileChunks.adoptBadgerChunks]); a layout-2 build refuses a layout-3
// store, whose compressed records it would call corrupt and whose chunks
// it would not find.
const layoutVersion uint32 = 3

// upgradableLayouts are the older layouts [Open] upgrades in place.
var upgradableLayouts = []uint32{1, 2}

// keyUpgrading marks a store whose layout version was raised but whose
// values are not all rewritten yet: it holds the layout upgraded from,
// a uint32. [Open] finishes the upgrade while it is there.
var keyUpgrading = metaKey("store/upgrading")

// Value size limits. On disk a value may fill a value-log file; in memory
// Badger keeps every value in the LSM tree and caps it at its largest
// ValueThreshold. Checking them ourselves keeps Badger's error, which dumps
// the whole value in hex, out of our errors.
const (
	// valueThreshold: values this size or larger (entries, records) live
	// in the value log, with a pointer in the LSM tree, so compactions
	// move keys and pointers instead of rewriting every entry once per
	// level (docs/performance.md, "Storage"). Heads, receipts, index keys
	// and other small values stay inline. Not used in memory.
	valueThreshold = 256
	vlogFileSize   = 64 << 20
	maxDiskValue   = vlogFileSize - 1<<10
	maxMemoryValue = 1 << 20
)

// Memtable sizes. Badger refuses a transaction whose keys and inline
// values pass 15 % of the memtable (its maxBatchSize). On disk only keys,
// value pointers and values under valueThreshold count, so 8 MiB (a 1.2 MiB
// batch) is ample, and each of the two memtables' arenas and mapped logs
// is half the default's: the whole network of 67 nodes holding a year
// needs that (docs/performance.md, "The whole network on one box"). In
// memory every value sits in the memtable, so a transaction holding a
// 1 MiB value with its record needs the 2.4 MiB batch of a 16 MiB one.
const (
	diskMemTableSize   = 8 << 20
	memoryMemTableSize = 16 << 20
)

// EncryptionKeySize is the length of [Options.EncryptionKey] (AES-256).
const EncryptionKeySize = 32

// Options configures [Open].
type Options struct {
	// Dir is the data directory, created 0700 if missing. Ignored when
	// InMemory is set.
	Dir string
	// InMemory keeps everything in memory (tests). Nothing is written to disk.
	InMemory bool
	// Logger receives Badger's warnings and errors, and a notice when an
	// older layout is upgraded. Nil discards them.
	// Badger's own stderr logger is never used.
	Logger *slog.Logger
	// MinFree is the free space, in bytes, kept in reserve on the store's
	// filesystem: below it every write fails with [ErrFull] (reads keep
	// working). 0 means [DefaultMinFree]; a negative value turns the check
	// off. Ignored when InMemory is set.
	MinFree int64
	// EncryptionKey, when set, encrypts everything Badger writes (AES-256
	// in CTR mode, LIBRARIES.md 3.2): 32 bytes. Opening an encrypted store
	// without its key, or with another key, fails with
	// [ErrEncryptionKey]. Nil leaves the store in plaintext.
	EncryptionKey []byte
}

// Validate reports the first bad field.
func (o Options) Validate() error {
	if !o.InMemory && o.Dir == "" {
		return fmt.Errorf("%w: Options.Dir is empty and InMemory is false", ErrInvalid)
	}
	if n := len(o.EncryptionKey); n != 0 && n != EncryptionKeySize {
		return fmt.Errorf("%w: Options.EncryptionKey is %d bytes, want %d", ErrInvalid, n, EncryptionKeySize)
	}
	return nil
}

// Store is a kpnode's Badger database. Open one with [Open]; it is safe for
// concurrent use.
type Store struct {
	db       *badger.DB
	dir      string
	now      func() time.Time
	maxValue int // the largest value Badger accepts in this mode
	logger   *slog.Logger
	compact  *compactor // runs Badger's compactors only while needed
	chunks   chunkStore // where blob chunks are: files on disk, Badger in memory

	// minFree is the reserve below which writes fail with ErrFull (0 or
	// less: no check); freeSpace reads the free space (a seam for tests).
	minFree   int64
	freeSpace func(dir string) (uint64, error)

	// auditMu serialises appends to the audit log: each reads the last
	// record and writes the next, which Badger's conflict detection alone
	// would not catch (the new key was never read).
	auditMu sync.Mutex

	// failAppend, when set (by tests only), fails an append after
	// everything is staged in its transaction.
	failAppend error

	// appendMu serialises Append, so the head check and the write that
	// depends on it are never interleaved with another append.
	appendMu sync.Mutex

	// heads caches every feed's head; it changes under appendMu.
	heads headCache

	// closeMu guards closed: every operation holds it for reading, Close
	// for writing, so Close waits for operations in flight.
	closeMu sync.RWMutex
	closed  bool

	// gcStop and gcDone stop and await the value-log collector
	// ([Store.valueLogGC]); nil in memory.
	gcStop, gcDone chan struct{}
}

// Open opens (creating if needed) the store described by opts.
//
// It returns an error wrapping [ErrLocked] when the directory is held by
// another process, [ErrEncryptionKey] when the store was encrypted with
// another key (or not encrypted, or encrypted and no key was given), [ErrLayoutVersion] when the store was written by an
// unknown layout, and [ErrCorrupt] when Badger cannot read it.
func Open(opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	name := opts.Dir
	if opts.InMemory {
		name = "(in memory)"
	} else if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	} else if err := checkEncryptionKey(opts.Dir, opts.EncryptionKey); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	db, err := openBadger(badgerOptions(opts))
	if err != nil {
		return nil, openError(name, err)
	}
	s := &Store{db: db, dir: opts.Dir, now: time.Now, maxValue: maxDiskValue, logger: opts.Logger,
		minFree: cmp.Or(opts.MinFree, DefaultMinFree), freeSpace: freeSpace,
		compact: newCompactor(db, time.Now)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if opts.InMemory {
		s.dir, s.maxValue = "", maxMemoryValue
	}
	err = s.checkLayout()
	if err == nil {
		err = s.openChunks()
	}
	if err != nil {
		s.compact.close()
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if !opts.InMemory {
		s.gcStop, s.gcDone = make(chan struct{}), make(chan struct{})
		go s.valueLogGC(s.gcStop, s.gcDone)
	}
	return s, nil
}

// badgerOptions returns the tuned daemon options (LIBRARIES.md 3.1): about
// 100 MiB of RAM at most instead of Badger's ~600 MiB defaults.
func badgerOptions(opts Options) badger.Options {
	o := tunedOptions(opts)
	if !opts.InMemory {
		// In memory Badger keeps every value in the LSM tree and refuses
		// (with a panic) values above the threshold.
		o = o.WithValueThreshold(valueThreshold)
	}
	return o
}

func tunedOptions(opts Options) badger.Options {
	dir, memtable := opts.Dir, int64(diskMemTableSize)
	if opts.InMemory {
		dir, memtable = "", memoryMemTableSize
	}
	return badger.DefaultOptions(dir).
		WithInMemory(opts.InMemory).
		WithLogger(newBadgerLogger(opts.Logger)).
		WithMemTableSize(memtable).
		WithNumMemtables(2).
		WithValueLogFileSize(vlogFileSize).
		WithBlockCacheSize(32 << 20).
		WithIndexCacheSize(16 << 20). // required with EncryptionKey: Badger panics on reopen without it
		WithEncryptionKey(opts.EncryptionKey).
		WithNumCompactors(2).
		WithCompression(options.None). // entries are ciphertext: Snappy spent 6 % of a catch-up's CPU for nothing
		WithMetricsEnabled(false)
}

// openBadger opens Badger, turning a panic on unreadable files into an
// error.
func openBadger(o badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("badger panicked: %v", r)
		}
	}()
	return badger.Open(o)
}

// openError translates Badger's open failure. Badger flattens its errors to
// strings, so the lock failure can only be recognised by its text.
func openError(name string, err error) error {
	if strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return fmt.Errorf("open store %s: %w", name, ErrLocked)
	}
	if strings.Contains(err.Error(), badger.ErrEncryptionKeyMismatch.Error()) {
		return fmt.Errorf("open store %s: %w", name, ErrEncryptionKey)
	}
	return fmt.Errorf("open store %s: %w: badger: %v", name, ErrCorrupt, err)
}

// checkLayout writes the layout version into a new store, upgrades an
// older layout it knows and refuses an unknown one.
//
// An upgrade first raises the version and sets keyUpgrading in one
// transaction, so that an older build refuses the store from then on,
// then rewrites values in transactions of bounded size, then removes
// keyUpgrading. Each rewrite is idempotent: after a crash part way, the
// next Open finds keyUpgrading and runs the rewrites again.
func (s *Store) checkLayout() error {
	var from uint32 // the layout an upgrade started from; 0 when none
	err := s.db.Update(func(txn *badger.Txn) error {
		v, err := getValue(txn, keyVersion)
		if errors.Is(err, ErrNotFound) {
			return initLayout(txn)
		}
		if err != nil {
			return fmt.Errorf("read layout version: %w", err)
		}
		if len(v) == 4 && slices.Contains(upgradableLayouts, uint32FromBE(v)) {
			from = uint32FromBE(v)
			return startUpgrade(txn, s.logger, from)
		}
		if err := checkVersion(v); err != nil {
			return err
		}
		from, err = pendingUpgrade(txn)
		return err
	})
	if err != nil || from == 0 {
		return err
	}
	return s.finishUpgrade(from)
}

// startUpgrade raises the layout version and notes the upgrade from the
// layout from as pending.
func startUpgrade(txn *badger.Txn, log *slog.Logger, from uint32) error {
	if err := txn.Set(keyUpgrading, be32(from)); err != nil {
		return fmt.Errorf("upgrade layout %d to %d: %w", from, layoutVersion, err)
	}
	if err := txn.Set(keyVersion, be32(layoutVersion)); err != nil {
		return fmt.Errorf("upgrade layout %d to %d: %w", from, layoutVersion, err)
	}
	log.Info("store layout upgrade started", "from", from, "to", layoutVersion)
	return nil
}

// pendingUpgrade returns the layout an unfinished upgrade started from,
// or 0.
func pendingUpgrade(txn *badger.Txn) (uint32, error) {
	v, err := getValue(txn, keyUpgrading)
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read pending layout upgrade: %w", err)
	case len(v) != 4 || !slices.Contains(upgradableLayouts, uint32FromBE(v)):
		return 0, fmt.Errorf("%w: pending layout upgrade from %x, want one of %v", ErrCorrupt, v, upgradableLayouts)
	}
	return uint32FromBE(v), nil
}

// finishUpgrade rewrites what layout from stored differently, then marks
// the upgrade done.
func (s *Store) finishUpgrade(from uint32) error {
	if err := s.migrate(from); err != nil {
		return fmt.Errorf("upgrade layout %d to %d: %w", from, layoutVersion, err)
	}
	err := s.update(func(txn *badger.Txn) error { return txn.Delete(keyUpgrading) })
	if err != nil {
		return fmt.Errorf("upgrade layout %d to %d: %w", from, layoutVersion, err)
	}
	s.logger.Info("store layout upgraded", "from", from, "to", layoutVersion)
	return nil
}

// migrate runs the rewrites an upgrade from layout from needs, each in
// its own function: idempotent, in transactions of bounded size.
func (s *Store) migrate(from uint32) error {
	if from < 3 {
		if _, err := s.compressRecords(); err != nil {
			return err
		}
	}
	return nil
}

// openChunks chooses where blob chunks are kept: Badger in memory, blob
// files on disk, where it first moves chunks found in Badger (a layout-2
// store, a restored backup) and deletes the files a crash left without a
// manifest.
func (s *Store) openChunks() error {
	if s.dir == "" {
		s.chunks = badgerChunks{s}
		return nil
	}
	files := fileChunks{s: s, dir: filepath.Join(s.dir, blobDir)}
	s.chunks = files
	if err := os.MkdirAll(files.dir, 0o700); err != nil {
		return fmt.Errorf("create blob directory: %w", err)
	}
	if err := files.adoptBadgerChunks(); err != nil {
		return err
	}
	return files.tidy()
}

func initLayout(txn *badger.Txn) error {
	if !isEmpty(txn) {
		return fmt.Errorf("%w: the store holds data but no layout version (this build writes %d)", ErrLayoutVersion, layoutVersion)
	}
	if err := markSignaturesChecked(txn); err != nil {
		return err
	}
	return txn.Set(keyVersion, be32(layoutVersion))
}

func checkVersion(v []byte) error {
	if len(v) != 4 {
		return fmt.Errorf("%w: layout version value is %d bytes, want 4", ErrCorrupt, len(v))
	}
	if got := uint32FromBE(v); got != layoutVersion {
		return fmt.Errorf("%w: the store has layout %d, this build reads layout %d", ErrLayoutVersion, got, layoutVersion)
	}
	return nil
}

func isEmpty(txn *badger.Txn) bool {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	it := txn.NewIterator(o)
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// Close flushes and closes the database and releases the directory lock.
// It waits for operations in flight; later calls return [ErrClosed].
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if s.gcStop != nil {
		close(s.gcStop)
		<-s.gcDone // bounded: a pass checks gcStop between rewrites
	}
	s.compact.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Sync forces everything committed so far to stable storage (fsync of
// Badger's write-ahead log and value log; about 0.2 ms). Commits are safe
// from a process crash without it, not from a power loss or kernel crash.
// Call it before anything leaves the node that claims an entry is stored:
// before publishing an entry of this node's own feed (losing it and signing
// another one with the same seq would be equivocation) and before signing a
// receipt. Partner changes sync by themselves. A no-op in memory.
func (s *Store) Sync() error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync store: %w", fullError(err))
	}
	return nil
}

// view runs fn in a read transaction, unless the store is closed.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

// update runs fn in a read-write transaction and commits it, unless the
// store is closed, its disk is full ([ErrFull]) or fn fails.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	return s.updateSpace(true, fn)
}

// updateSpace is update, with the reserve checked or not: only for a
// few bytes of bookkeeping (PutMetaInReserve).
func (s *Store) updateSpace(check bool, fn func(txn *badger.Txn) error) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if check {
		if err := s.checkSpace(); err != nil {
			return err
		}
	}
	s.compact.wrote()
	return fullError(s.db.Update(fn))
}

// MaxEntrySize is the largest encoded entry the store holds: its value
// limit (64 MiB − 1 KiB on disk, 1 MiB in memory) less the header stored
// with the entry. An entry's record, its body with a shorter header, is
// smaller than the entry that seals it, so it fits too.
func (s *Store) MaxEntrySize() int { return s.maxValue - evidenceHeaderLen }

// checkSize refuses a value Badger would refuse.
func (s *Store) checkSize(what string, n int) error {
	if n > s.maxValue {
		return fmt.Errorf("%w: %s of %d bytes exceeds the store's limit of %d", ErrInvalid, what, n, s.maxValue)
	}
	return nil
}

// getValue returns a copy of key's value, or ErrNotFound.
func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// has reports whether key is stored.
func has(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}
