// Package store keeps a kpnode's durable state in Badger behind its own API:
// the feeds it replicates (its own and every partner's, as signed entry
// bytes), their heads, the records this node could decrypt with their
// indexes, evidence of equivocation, the pinned partner cards, the
// hash-chained audit log of the operator's actions and a little node
// metadata.
//
// No Badger type appears in the API. The key layout, the value encodings and
// the crash-consistency argument are written down in docs/storage.md; the
// layout is versioned and [Open] refuses a store written by a newer layout.
//
// # Trust
//
// [Store.Append] does not verify signatures: callers pass entries obtained
// from protocol.DecodeEntry or protocol.DecodeBatch (which verify each
// entry's own signature) or protocol.NewEntry (which signs): every entry
// stored verifies on its own signature. Everything read back as an entry ([Store.Entry], [Store.Entries])
// goes through protocol.DecodeEntry again, so bytes altered on disk are
// reported as [ErrCorrupt] and never served. [Store.Verify] re-checks the
// whole store.
//
// # Concurrency
//
// A [Store] is safe for concurrent use by multiple goroutines. Appends are
// serialised by a mutex so that two racing appends cannot both pass the head
// check; Badger's transaction conflict detection is a second line. Every
// read runs in one Badger read transaction and sees a consistent snapshot.
// A Store must not be used after [Store.Close]; calls then return
// [ErrClosed].
//
// # Ownership
//
// Slices passed in (entry bytes, record bodies, partner cards, meta values)
// are copied before the call returns. Slices and structs returned belong to
// the caller: they are fresh copies, never views into Badger's memory.
package store
