package staff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// Meta keys of the directory in the store.
const (
	userPrefix     = "staff/user/"
	tokenKeyPrefix = "staff/token/"
)

// Store is the part of the node's store a Directory keeps its accounts
// and tokens in.
type Store interface {
	MetaPrefix(prefix string) (map[string][]byte, error)
	PutMetaAudited(key string, v []byte, ev store.AuditEvent) error
	DeleteMetaAudited(key string, ev store.AuditEvent) error
}

// Config configures a Directory.
type Config struct {
	// BcryptCost is the work factor of new password hashes: 12 takes
	// about 0.25 s of one core, which a person signing in does not notice
	// and a guesser pays at every try.
	BcryptCost int
	// Now is the clock (tokens' expiry).
	Now func() time.Time
}

// DefaultConfig returns the daemon's configuration.
func DefaultConfig() Config { return Config{BcryptCost: 12, Now: time.Now} }

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost:
		return fmt.Errorf("%w: staff BcryptCost %d: want %d..%d", ErrInvalid, c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	case c.Now == nil:
		return fmt.Errorf("%w: staff Now: want a clock", ErrInvalid)
	}
	return nil
}

// Principal is who a request acts as.
type Principal struct {
	// Actor names it in the audit log: a user's name, "token:NAME" for a
	// service token, or "node" for the node's own token.
	Actor string `json:"actor"`
	// Role is what it may do.
	Role Role `json:"role"`
	// User is the account's name (empty for a service token and the
	// node); Generation its generation when the principal was made.
	User       string `json:"user,omitempty"`
	Generation string `json:"-"`
	// Token names the API token used, if any.
	Token string `json:"token,omitempty"`
}

// Directory holds a node's staff accounts and API tokens (see the package
// documentation).
type Directory struct {
	st    Store
	cfg   Config
	dummy []byte // a hash that unknown users' passwords are checked against, so they take as long

	wmu sync.Mutex // serialises changes: the store write, then the maps

	mu     sync.RWMutex       // guards users and tokens
	users  map[string]account // name → account
	tokens map[string]Token   // id → token
}

// Open loads the directory kept in st.
func Open(st Store, cfg Config) (*Directory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("kpnode-no-such-user"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("open staff directory: %w", err)
	}
	d := &Directory{st: st, cfg: cfg, dummy: dummy, users: map[string]account{}, tokens: map[string]Token{}}
	if err := load(st, userPrefix, d.users, func(a account) string { return a.Name }); err != nil {
		return nil, err
	}
	if err := load(st, tokenKeyPrefix, d.tokens, func(t Token) string { return t.ID }); err != nil {
		return nil, err
	}
	return d, nil
}

// load decodes every value under prefix into m, keyed by key.
func load[T any](st Store, prefix string, m map[string]T, key func(T) string) error {
	vals, err := st.MetaPrefix(prefix)
	if err != nil {
		return fmt.Errorf("open staff directory: %w", err)
	}
	for k, v := range vals {
		var x T
		if err := json.Unmarshal(v, &x); err != nil || prefix+key(x) != k {
			return fmt.Errorf("open staff directory: %w: meta %q does not hold a valid record", store.ErrCorrupt, k)
		}
		m[key(x)] = x
	}
	return nil
}

// Users lists the accounts by name.
func (d *Directory) Users() []User {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]User, 0, len(d.users))
	for _, a := range d.users {
		out = append(out, a.view())
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Tokens lists the tokens, live and expired, by name.
func (d *Directory) Tokens() []Token {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Token, 0, len(d.tokens))
	for _, t := range d.tokens {
		out = append(out, t.view())
	}
	slices.SortFunc(out, func(a, b Token) int { return cmp.Or(strings.Compare(a.Name, b.Name), a.Created.Compare(b.Created)) })
	return out
}

// Authenticate checks a user's password and returns the user as a
// principal. A wrong name and a wrong password take as long and fail
// alike with ErrBadCredentials.
func (d *Directory) Authenticate(name string, password crypto.Secret) (Principal, error) {
	d.mu.RLock()
	a, ok := d.users[name]
	d.mu.RUnlock()
	hash := a.Hash
	if !ok {
		hash = d.dummy
	}
	if bcrypt.CompareHashAndPassword(hash, password.Reveal()) != nil || !ok {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Actor: a.Name, Role: a.Role, User: a.Name, Generation: a.Generation}, nil
}

// Current returns user's present role if the account still exists at
// generation: a session signed in before a password or role change, or
// before the user was removed, gets false.
func (d *Directory) Current(user, generation string) (Role, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.users[user]
	if !ok || a.Generation != generation {
		return 0, false
	}
	return a.Role, true
}

// TokenAuth returns the principal a staff token's secret acts as, or
// ErrBadCredentials for an unknown, revoked or expired token, or a user
// token whose user is gone.
func (d *Directory) TokenAuth(secret string) (Principal, error) {
	id, ok := tokenID(secret)
	if !ok {
		return Principal{}, ErrBadCredentials
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	t, ok := d.tokens[id]
	if !ok || !t.matches(secret) || t.Expired(d.cfg.Now()) {
		return Principal{}, ErrBadCredentials
	}
	p := Principal{Actor: t.actor(), Role: t.Role, Token: t.Name}
	if t.User != "" {
		a, ok := d.users[t.User]
		if !ok {
			return Principal{}, ErrBadCredentials
		}
		p.Role, p.User, p.Generation = a.Role, a.Name, a.Generation
	}
	return p, nil
}
