// Package blobxfer is the attachment transfer protocol /kpnode/blob/1.0.0
// (docs/protocol.md §14): a node asks a partner for a blob's manifest,
// then for ranges of its ciphertext chunks, and stores each chunk as it
// arrives after checking it against the manifest, which it checked
// against the blob id. Any partner holding the chunks can serve them,
// the author or a relay that cannot open them; a fetch cut off resumes at
// the first chunk missing.
//
// An [Exchanger] serves what its holder has to admitted peers, within a
// daily byte quota per peer, and fetches with [Exchanger.Fetch] or in the
// background ([Exchanger.Enqueue], run by [Exchanger.Run]). A peer that
// sends a chunk or manifest that does not match the blob id is refused
// for the rest of the fetch and reported through Config.Penalise; one
// that does not hold the blob is merely skipped.
//
// Memory is bounded whatever the file's size, never a whole file: a fetch
// holds one manifest (at most 32 KiB), the frame being read (64 KiB) and
// the store's write batch (about 2.4 MiB, two at most committing); a
// server holds four chunks read ahead of the network.
//
// # Concurrency
//
// An Exchanger is safe for concurrent use. Run owns the background
// workers and returns once they have stopped; stream handlers return when
// their stream ends or its deadline passes.
package blobxfer
