package staff

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Token lifetimes.
const (
	// DefaultTokenTTL is a new token's lifetime when none is asked for.
	DefaultTokenTTL = 90 * 24 * time.Hour
	// MaxTokenTTL bounds a token's lifetime: every token expires.
	MaxTokenTTL = 366 * 24 * time.Hour
	// tokenPrefix starts every staff token, so a leaked one is recognisable
	// (and tells a staff token from the node's own).
	tokenPrefix = "kpt_"
	// tokenIDLen is the length of a token's public id.
	tokenIDLen = 10
)

// TokenRequest asks for a new API token.
type TokenRequest struct {
	// Name names the token (CheckName), unique among live tokens.
	Name string `json:"name"`
	// User, when set, makes the token act as that user, with the user's
	// role at each request; the token dies with the user. Empty makes a
	// service token that acts as "token:NAME" with Role.
	User string `json:"user,omitempty"`
	// Role is a service token's role; a user token's must be empty.
	Role Role `json:"role,omitempty"`
	// TTL is the token's lifetime: 0 means DefaultTokenTTL, at most
	// MaxTokenTTL.
	TTL time.Duration `json:"ttl,omitempty"`
}

// Token is what the directory tells about a token: never its secret.
type Token struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	User    string    `json:"user,omitempty"` // empty for a service token
	Role    Role      `json:"role,omitempty"` // a service token's role
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Hash    string    `json:"hash,omitempty"` // hex SHA-256 of the secret; empty in listings
}

// Expired reports whether t has expired at now.
func (t Token) Expired(now time.Time) bool { return !now.Before(t.Expires) }

// actor is the audit actor of a request made with t.
func (t Token) actor() string {
	if t.User != "" {
		return t.User
	}
	return "token:" + t.Name
}

// view is t as listed: without its hash.
func (t Token) view() Token { t.Hash = ""; return t }

// newTokenSecret returns a new token's id and secret.
func newTokenSecret() (id, secret string) {
	id = strings.ToLower(rand.Text()[:tokenIDLen])
	return id, tokenPrefix + id + "_" + rand.Text() + rand.Text()
}

// tokenID returns the id a secret claims, or false when it is not shaped
// like a staff token.
func tokenID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok || len(rest) < tokenIDLen+2 || rest[tokenIDLen] != '_' {
		return "", false
	}
	return rest[:tokenIDLen], true
}

func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// matches reports, in constant time, whether secret is t's.
func (t Token) matches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(t.Hash)) == 1
}

// checkTokenRequest checks req and returns its lifetime.
func checkTokenRequest(req TokenRequest) (time.Duration, error) {
	if err := CheckName("token", req.Name); err != nil {
		return 0, err
	}
	switch {
	case req.User != "" && req.Role != 0:
		return 0, fmt.Errorf("%w: token %s: a user's token takes the user's role; give a role only to a service token", ErrInvalid, req.Name)
	case req.User == "" && !req.Role.Valid():
		return 0, fmt.Errorf("%w: token %s: a service token needs a role (viewer, clerk or administrator)", ErrInvalid, req.Name)
	case req.TTL < 0 || req.TTL > MaxTokenTTL:
		return 0, fmt.Errorf("%w: token %s: lifetime %s: want up to %s", ErrInvalid, req.Name, req.TTL, MaxTokenTTL)
	case req.TTL == 0:
		return DefaultTokenTTL, nil
	}
	return req.TTL, nil
}
