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
// Memory is bounded: a session holds one manifest (at most 32 KiB) and
// one chunk (64 KiB) at a time, never a whole file.
//
// # Concurrency
//
// An Exchanger is safe for concurrent use. Run owns the background
// workers and returns once they have stopped; stream handlers return when
// their stream ends or its deadline passes.
package blobxfer
