package crypto

import "errors"

// ErrKeyFilePermissions is returned by [ReadKeyFile] and [ReadSecretFile]
// when the file can be read by its group or by others.
var ErrKeyFilePermissions = errors.New("file is readable by group or others")

// ErrPassphraseRequired is returned by [ReadKeyFile] when the key file is
// passphrase-protected and no passphrase was given.
var ErrPassphraseRequired = errors.New("key file is passphrase-protected: a passphrase is required")

// ErrWrongPassphrase is returned by [ReadKeyFile] when the passphrase does not
// open the key file.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// ErrMalformedKeyFile is returned by [ReadKeyFile] and [ParseIdentity] when the
// key material is truncated or not in the expected format.
var ErrMalformedKeyFile = errors.New("malformed key file")

// ErrTooManyStanzas is returned by [Open] when a ciphertext carries more
// recipient stanzas than the caller allowed.
var ErrTooManyStanzas = errors.New("too many recipient stanzas")

// ErrNotRecipient is returned by [Open] when the identity is not among the
// ciphertext's recipients.
var ErrNotRecipient = errors.New("not a recipient of this ciphertext")

// ErrBadPublicKey is returned when a public key or peer ID does not decode to
// an Ed25519 public key.
var ErrBadPublicKey = errors.New("bad public key")
