package blob

import "errors"

// ErrManifest is returned when a manifest's bytes are malformed or do not
// hash to the blob id they are presented for.
var ErrManifest = errors.New("invalid blob manifest")

// ErrChunk is returned when a ciphertext chunk does not match its
// manifest: wrong length for its index, or a hash other than the one the
// manifest lists for that index (a flipped bit, a chunk of another file or
// another position).
var ErrChunk = errors.New("chunk does not match its manifest")

// ErrOpen is returned when a chunk that matches its manifest does not
// open under the file key: the key is not this file's.
var ErrOpen = errors.New("chunk does not open under the file key")

// ErrTooLarge is returned when a file exceeds [MaxSize].
var ErrTooLarge = errors.New("file exceeds the attachment size limit")

// ErrPlaintext is returned when an opened file's size or SHA-256 is not
// the one its record states.
var ErrPlaintext = errors.New("opened file differs from its record")
