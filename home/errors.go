package home

import "errors"

// ErrNotInitialised is returned by [OpenHome] when the directory holds no
// node.
var ErrNotInitialised = errors.New("home is not initialised")

// ErrHomeLocked is returned by [Home.Lock] when another process runs a node
// on the same home.
var ErrHomeLocked = errors.New("home is in use by another kpnode")

// ErrHomeExists is returned by [InitHome] when the home directory already
// holds a node.
var ErrHomeExists = errors.New("home already initialised")

// ErrBadBackup is returned when a backup file is not one kpnode can
// restore: wrong magic or version, a damaged or truncated header or body,
// a hash that does not match.
var ErrBadBackup = errors.New("bad backup file")

// ErrEncryptNeedsPassphrase is returned by [InitHome] when the store is to
// be encrypted and no passphrase protects its key.
var ErrEncryptNeedsPassphrase = errors.New("encrypting the store needs a passphrase")

// ErrStoreMissing is returned by [Home.OpenStore] when the home's store
// directory is gone although the home had one.
var ErrStoreMissing = errors.New("the store is missing")

// ErrStoreReplaced is returned by [Home.OpenStore] when the store in the
// home is not the one the home was created with (an empty or foreign
// store in its place).
var ErrStoreReplaced = errors.New("the store is not this home's store")

// ErrStoreDamaged is returned by [Home.OpenStore] when the store does not
// open: a file is damaged or missing.
var ErrStoreDamaged = errors.New("the store is damaged")

// ErrStoreKeyNeeded is returned by [Home.OpenStore] when the store is
// encrypted (the home has a store.key) and the home was not unlocked with
// the node passphrase ([Home.Unlock]).
var ErrStoreKeyNeeded = errors.New("the store is encrypted: the node passphrase is needed")

// ErrStoreKeyMismatch is returned by [Home.OpenStore] when the store's
// encryption key is not the one in the home's store.key (or the home has
// none and the store is encrypted, or the other way round).
var ErrStoreKeyMismatch = errors.New("the store's encryption key does not match")

// ErrRestoreTarget is returned by [Restore] when the home cannot receive
// the backup: it already holds a store, it is not empty and not a home,
// it belongs to another node, or it lacks keys the backup does not carry.
var ErrRestoreTarget = errors.New("cannot restore into this home")

// ErrRestoreVerify is returned by [Restore] when the restored store fails
// its checks (counts, store id, chains, signatures, audit log); what was
// written has been removed.
var ErrRestoreVerify = errors.New("the restored store does not verify")
