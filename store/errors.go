package store

import "errors"

// ErrNotFound is returned when the entry, record, partner or meta key asked
// for is not stored.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by [Store.Append] when the identical entry (same
// author, seq and bytes) is already stored. Callers treat it as a no-op.
var ErrExists = errors.New("entry already stored")

// ErrEquivocation is returned by [Store.Append] when a different entry with
// the same author and seq is already stored. The offered entry is not
// applied; it is kept as evidence (see [Store.Equivocations]) and the error
// names both hashes.
var ErrEquivocation = errors.New("equivocation: a different entry with the same author and seq is stored")

// ErrLocked is returned by [Open] when another process (or another Store in
// this process) holds the data directory.
var ErrLocked = errors.New("store is in use by another process")

// ErrLayoutVersion is returned by [Open] when the store was written with a
// key layout this build does not know (typically by a newer kpnode). The
// error names both versions.
var ErrLayoutVersion = errors.New("unsupported store layout version")

// ErrCorrupt is returned when the store cannot be opened or a stored value
// cannot be read back: Badger refused to open the directory, or a stored
// entry no longer decodes. The error carries the underlying cause.
var ErrCorrupt = errors.New("store is corrupted or unreadable")

// ErrInvalid is returned when an argument cannot be stored: a record type
// that cannot be indexed, a record whose type differs from its entry's, an
// empty partner code or meta key, a nil entry, a value larger than the
// store accepts (1 MiB in memory, 64 MiB on disk).
var ErrInvalid = errors.New("invalid argument")

// ErrClosed is returned by every method called after [Store.Close].
var ErrClosed = errors.New("store is closed")

// ErrFull is returned by every write when the store cannot grow: its
// filesystem has less free space than the reserve ([Options.MinFree]), or
// the operating system refused to extend a file (no space left on the
// device, file size limit). Nothing is written; reads keep working, and
// writes succeed again once space is freed.
var ErrFull = errors.New("the store's disk is full")

// ErrEncryptionKey is returned by [Open] when the encryption key given is
// not the store's: the store is encrypted and no key or another key was
// given, or the store is in plaintext and a key was given.
var ErrEncryptionKey = errors.New("the encryption key does not match the store")

// ErrBackup is returned by [Restore] when a backup stream is malformed: a
// frame larger than the limit, a truncated frame, a store that is not
// empty to restore into.
var ErrBackup = errors.New("malformed backup stream")
