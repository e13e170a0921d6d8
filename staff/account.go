package staff

import (
	"crypto/rand"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpnode/kpnode/crypto"
)

// Limits of names and passwords.
const (
	// MaxNameLen bounds a user's or token's name.
	MaxNameLen = 32
	// MinPasswordLen is the shortest password accepted, in bytes.
	MinPasswordLen = 10
	// MaxPasswordLen is the longest: bcrypt reads no further than 72 bytes,
	// so a longer password would be cut without the user knowing.
	MaxPasswordLen = 72
)

// User is what the directory tells about an account: never its hash.
type User struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"` // password or role last changed
}

// account is a stored account.
type account struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Hash    []byte    `json:"hash"` // bcrypt, with its cost and salt
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
	// Generation changes with every password or role change; a session
	// remembers the generation it signed in at and ends when it differs.
	Generation string `json:"generation"`
}

func (a account) view() User {
	return User{Name: a.Name, Role: a.Role, Created: a.Created, Changed: a.Changed}
}

// CheckName checks a user's or token's name: 1..32 bytes of [a-z0-9._-]
// starting with a letter, and not "node" (the node's own actor).
func CheckName(what, name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %s name %q: want 1..%d characters", ErrInvalid, what, name, MaxNameLen)
	}
	if name == "node" {
		return fmt.Errorf(`%w: %s name "node" is kept for the node's own token`, ErrInvalid, what)
	}
	if name[0] < 'a' || name[0] > 'z' {
		return fmt.Errorf("%w: %s name %q: want a lowercase letter first", ErrInvalid, what, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: %s name %q: character %d %q: want a-z, 0-9, '.', '_' or '-'", ErrInvalid, what, name, i+1, c)
		}
	}
	return nil
}

// checkPassword checks a new password's length.
func checkPassword(pw crypto.Secret) error {
	if n := len(pw); n < MinPasswordLen || n > MaxPasswordLen {
		return fmt.Errorf("%w: password: %d bytes, want %d..%d", ErrInvalid, n, MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// hashPassword returns the bcrypt hash of pw at cost.
func hashPassword(pw crypto.Secret, cost int) ([]byte, error) {
	if err := checkPassword(pw); err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword(pw.Reveal(), cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// newGeneration returns a fresh random generation.
func newGeneration() string { return rand.Text()[:16] }
