// Package crypto holds a kpnode's secrets and the primitives built on them:
// the Ed25519 identity (which is also the node's libp2p peer key), the age
// X25519 identity that partners encrypt to, domain-separated signatures,
// age sealing with a cap on recipient stanzas, key files on disk and short
// human fingerprints.
//
// The package never logs and never touches the network. The only disk access
// is in the key-file functions, which write files 0600 and refuse to read
// files that group or others can read.
//
// Secrets never leave in printable form: [Identity] and [Secret] redact
// themselves in fmt verbs and in log/slog output.
//
// All functions and methods are safe for concurrent use. An [Identity] is
// immutable after creation.
//
// Records to known recipients are sealed with kpnode's static-static age
// stanza ([StaticRecipient], [StaticIdentity]; docs/protocol.md §3.0),
// which wraps the file key under the X25519 shared secret of the author's
// and the recipient's static keys instead of an ephemeral exchange.
//
// Opening with an *age.X25519Identity caches that identity's key in
// crypto/ecdh form, in memory, for as long as the identity itself is
// reachable; the shared secrets of static-static pairs are cached in
// memory too, at most 4096 of them. Nothing else is kept between calls.
package crypto
