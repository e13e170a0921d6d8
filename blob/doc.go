// Package blob is the format of kpnode's attachments: files encrypted
// under a random file key in fixed-size chunks, named by a blob id that
// anyone can check each ciphertext chunk against without being able to
// open it (docs/protocol.md, "Attachments").
//
// A file of n plaintext bytes is cut into chunks of [ChunkSize] bytes (the
// last one shorter, possibly empty, never absent) and each chunk is sealed
// with ChaCha20-Poly1305 under a key derived from the file key, with a
// nonce made of the chunk's index and a last-chunk flag, as in age's
// STREAM payload: chunks cannot be reordered, dropped, truncated or taken
// from another file without [OpenChunk] refusing them. The [Manifest]
// lists the plaintext size and the SHA-256 of every ciphertext chunk; the
// blob id is the SHA-256 of the manifest, so a holder of the id verifies
// the manifest, and through it every chunk ([Manifest.Verify]), without
// the file key.
//
// The package is pure: it never logs and never touches disk or network.
// Every decoder ([DecodeManifest], [Manifest.Verify], [OpenChunk]) takes
// hostile bytes, checks sizes first and returns nil results with any
// error. All functions are safe for concurrent use; a [Sealer] is used by
// one goroutine. Slices returned are fresh; slices passed in are not
// retained.
package blob
