package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the size of a [Hash] in bytes.
const HashSize = sha256.Size

// Hash is a SHA-256 digest: of an entry's wire bytes (entry hashes and the
// chain's prev links) or of a salted record (commitments).
type Hash [HashSize]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 12 hex characters, for display.
func (h Hash) Short() string { return h.String()[:12] }

// IsZero reports whether every byte of h is zero.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes the hash as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hash written by [Hash.MarshalText].
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash decodes 64 lowercase hex characters.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize || !isLowerHex(s) {
		return h, fmt.Errorf("parse hash: want %d lowercase hex characters", 2*HashSize)
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
