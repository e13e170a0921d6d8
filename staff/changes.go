package staff

import (
	"encoding/json"
	"fmt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// Audit actions of staff changes (docs/operations.md, "Staff and roles").
const (
	AuditUserAdd     = "staff.user.add"
	AuditUserRemove  = "staff.user.remove"
	AuditUserPasswd  = "staff.user.passwd"
	AuditUserRole    = "staff.user.role"
	AuditTokenCreate = "staff.token.create"
	AuditTokenRevoke = "staff.token.revoke"
)

// AddUser creates an account; actor names who asked, for the audit log.
func (d *Directory) AddUser(actor, name string, role Role, password crypto.Secret) (User, error) {
	if err := CheckName("user", name); err != nil {
		return User{}, err
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("%w: user %s: role: want viewer, clerk or administrator", ErrInvalid, name)
	}
	hash, err := hashPassword(password, d.cfg.BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("add user %s: %w", name, err)
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, ok := d.user(name); ok {
		return User{}, fmt.Errorf("add user %s: %w", name, ErrExists)
	}
	now := d.cfg.Now().UTC()
	a := account{Name: name, Role: role, Hash: hash, Created: now, Changed: now, Generation: newGeneration()}
	ev := store.AuditEvent{Action: AuditUserAdd, Actor: actor, Details: map[string]string{"user": name, "role": role.String()}}
	if err := d.putUser(a, ev); err != nil {
		return User{}, fmt.Errorf("add user %s: %w", name, err)
	}
	return a.view(), nil
}

// SetPassword replaces a user's password; the user's sessions end.
func (d *Directory) SetPassword(actor, name string, password crypto.Secret) (User, error) {
	hash, err := hashPassword(password, d.cfg.BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("set password of %s: %w", name, err)
	}
	return d.change(name, func(a *account) store.AuditEvent {
		a.Hash = hash
		return store.AuditEvent{Action: AuditUserPasswd, Actor: actor, Details: map[string]string{"user": name}}
	})
}

// SetRole changes a user's role; the user's sessions end (they sign in
// again under the new role), and the user's tokens take it at once.
func (d *Directory) SetRole(actor, name string, role Role) (User, error) {
	if !role.Valid() {
		return User{}, fmt.Errorf("%w: user %s: role: want viewer, clerk or administrator", ErrInvalid, name)
	}
	return d.change(name, func(a *account) store.AuditEvent {
		was := a.Role
		a.Role = role
		return store.AuditEvent{Action: AuditUserRole, Actor: actor,
			Details: map[string]string{"user": name, "role": role.String(), "was": was.String()}}
	})
}

// change applies fn to an existing account, with a new generation.
func (d *Directory) change(name string, fn func(*account) store.AuditEvent) (User, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	a, ok := d.user(name)
	if !ok {
		return User{}, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	ev := fn(&a)
	a.Changed, a.Generation = d.cfg.Now().UTC(), newGeneration()
	if err := d.putUser(a, ev); err != nil {
		return User{}, fmt.Errorf("change user %s: %w", name, err)
	}
	return a.view(), nil
}

// RemoveUser removes an account and its tokens; its sessions end.
func (d *Directory) RemoveUser(actor, name string) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, ok := d.user(name); !ok {
		return fmt.Errorf("remove user %s: %w", name, ErrNotFound)
	}
	ev := store.AuditEvent{Action: AuditUserRemove, Actor: actor, Details: map[string]string{"user": name}}
	if err := d.st.DeleteMetaAudited(userPrefix+name, ev); err != nil {
		return fmt.Errorf("remove user %s: %w", name, err)
	}
	d.mu.Lock()
	delete(d.users, name)
	d.mu.Unlock()
	for _, t := range d.Tokens() {
		if t.User == name {
			if err := d.revoke(actor, t, "user removed"); err != nil {
				return fmt.Errorf("remove user %s: %w", name, err)
			}
		}
	}
	return nil
}

// CreateToken issues an API token and returns its secret, the only time
// the secret is seen: the directory keeps its SHA-256.
func (d *Directory) CreateToken(actor string, req TokenRequest) (string, Token, error) {
	ttl, err := checkTokenRequest(req)
	if err != nil {
		return "", Token{}, err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, ok := d.user(req.User); req.User != "" && !ok {
		return "", Token{}, fmt.Errorf("create token %s: user %s: %w", req.Name, req.User, ErrNotFound)
	}
	now := d.cfg.Now().UTC()
	if t, ok := d.tokenNamed(req.Name); ok && !t.Expired(now) {
		return "", Token{}, fmt.Errorf("create token %s: %w (revoke it first)", req.Name, ErrExists)
	}
	id, secret := newTokenSecret()
	t := Token{ID: id, Name: req.Name, User: req.User, Role: req.Role, Created: now, Expires: now.Add(ttl), Hash: hashToken(secret)}
	b, err := json.Marshal(t)
	if err != nil {
		return "", Token{}, err
	}
	ev := store.AuditEvent{Action: AuditTokenCreate, Actor: actor, Details: t.view()}
	if err := d.st.PutMetaAudited(tokenKeyPrefix+id, b, ev); err != nil {
		return "", Token{}, fmt.Errorf("create token %s: %w", req.Name, err)
	}
	d.mu.Lock()
	d.tokens[id] = t
	d.mu.Unlock()
	return secret, t.view(), nil
}

// RevokeToken ends a token, named by its name or id, at once.
func (d *Directory) RevokeToken(actor, nameOrID string) (Token, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.RLock()
	t, ok := d.tokens[nameOrID]
	d.mu.RUnlock()
	if !ok {
		if t, ok = d.tokenNamed(nameOrID); !ok {
			return Token{}, fmt.Errorf("revoke token %s: %w", nameOrID, ErrNotFound)
		}
	}
	return t.view(), d.revoke(actor, t, "revoked")
}

// revoke deletes t; d.wmu must be held.
func (d *Directory) revoke(actor string, t Token, why string) error {
	ev := store.AuditEvent{Action: AuditTokenRevoke, Actor: actor,
		Details: map[string]string{"id": t.ID, "name": t.Name, "user": t.User, "why": why}}
	if err := d.st.DeleteMetaAudited(tokenKeyPrefix+t.ID, ev); err != nil {
		return fmt.Errorf("revoke token %s: %w", t.Name, err)
	}
	d.mu.Lock()
	delete(d.tokens, t.ID)
	d.mu.Unlock()
	return nil
}

func (d *Directory) user(name string) (account, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.users[name]
	return a, ok
}

// tokenNamed returns the newest token named name.
func (d *Directory) tokenNamed(name string) (Token, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var found Token
	for _, t := range d.tokens {
		if t.Name == name && t.Created.After(found.Created) {
			found = t
		}
	}
	return found, found.ID != ""
}

// putUser stores a and then puts it in the map; d.wmu must be held.
func (d *Directory) putUser(a account, ev store.AuditEvent) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := d.st.PutMetaAudited(userPrefix+a.Name, b, ev); err != nil {
		return err
	}
	d.mu.Lock()
	d.users[a.Name] = a
	d.mu.Unlock()
	return nil
}
