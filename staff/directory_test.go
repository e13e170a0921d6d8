package staff

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openTest(t *testing.T) (*Directory, *store.Store, *clock) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d, err := Open(st, Config{BcryptCost: bcrypt.MinCost, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return d, st, c
}

var pw = crypto.Secret("correct horse battery")

func TestUserLifecycle(t *testing.T) {
	d, _, _ := openTest(t)
	if _, err := d.AddUser("node", "alice", Viewer, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddUser("node", "alice", Clerk, pw); !errors.Is(err, ErrExists) {
		t.Fatalf("second alice: %v, want ErrExists", err)
	}
	p, err := d.Authenticate("alice", pw)
	if err != nil || p.Actor != "alice" || p.Role != Viewer {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	for _, c := range []struct{ user, pw string }{{"alice", "wrong password"}, {"bob", string(pw)}, {"", ""}} {
		if _, err := d.Authenticate(c.user, crypto.Secret(c.pw)); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrBadCredentials", c.user, c.pw, err)
		}
	}
	if r, ok := d.Current("alice", p.Generation); !ok || r != Viewer {
		t.Fatalf("Current = %v, %v", r, ok)
	}
	if _, err := d.SetPassword("node", "alice", crypto.Secret("another long one")); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Current("alice", p.Generation); ok {
		t.Error("a session from before the password change is still current")
	}
	if _, err := d.Authenticate("alice", pw); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after passwd: %v", err)
	}
	p, _ = d.Authenticate("alice", crypto.Secret("another long one"))
	if _, err := d.SetRole("node", "alice", Clerk); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Current("alice", p.Generation); ok {
		t.Error("a session from before the role change is still current")
	}
	p, _ = d.Authenticate("alice", crypto.Secret("another long one"))
	if p.Role != Clerk {
		t.Errorf("role after SetRole = %v", p.Role)
	}
	if err := d.RemoveUser("node", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Current("alice", p.Generation); ok {
		t.Error("a removed user's session is still current")
	}
	if len(d.Users()) != 0 {
		t.Errorf("users after remove: %+v", d.Users())
	}
}

func TestRefusedInput(t *testing.T) {
	d, _, _ := openTest(t)
	for _, name := range []string{"", "node", "Alice", "1abc", "a b", "a:b", "abcdefghijklmnopqrstuvwxyz0123456"} {
		if _, err := d.AddUser("node", name, Viewer, pw); !errors.Is(err, ErrInvalid) {
			t.Errorf("user name %q: %v, want ErrInvalid", name, err)
		}
	}
	for _, p := range []string{"", "short", string(bytes.Repeat([]byte("x"), MaxPasswordLen+1))} {
		if _, err := d.AddUser("node", "bob", Viewer, crypto.Secret(p)); !errors.Is(err, ErrInvalid) {
			t.Errorf("password of %d bytes: %v, want ErrInvalid", len(p), err)
		}
	}
	if _, err := d.AddUser("node", "bob", Role(0), pw); !errors.Is(err, ErrInvalid) {
		t.Errorf("role 0: %v", err)
	}
	if _, err := d.AddUser("node", "bob", Role(9), pw); !errors.Is(err, ErrInvalid) {
		t.Errorf("role 9: %v", err)
	}
	for _, s := range []string{"", "Viewer", "admin", "root"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRole(%q) = %v", s, err)
		}
	}
}

func TestTokens(t *testing.T) {
	d, st, c := openTest(t)
	d.AddUser("node", "alice", Clerk, pw)
	svc, tok, err := d.CreateToken("alice", TokenRequest{Name: "exporter", Role: Viewer, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash != "" {
		t.Error("a token's listing carries its hash")
	}
	p, err := d.TokenAuth(svc)
	if err != nil || p.Actor != "token:exporter" || p.Role != Viewer {
		t.Fatalf("TokenAuth = %+v, %v", p, err)
	}
	usr, _, err := d.CreateToken("node", TokenRequest{Name: "alice-laptop", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := d.TokenAuth(usr); err != nil || p.Actor != "alice" || p.Role != Clerk {
		t.Fatalf("user token = %+v, %v", p, err)
	}
	d.SetRole("node", "alice", Viewer)
	if p, _ := d.TokenAuth(usr); p.Role != Viewer {
		t.Errorf("user token's role after the user's changed: %v, want viewer", p.Role)
	}
	all, _ := st.MetaPrefix("staff/")
	for k, v := range all {
		if bytes.Contains(v, []byte(svc)) || bytes.Contains(v, []byte(usr)) || bytes.Contains(v, pw) {
			t.Errorf("meta %s holds a secret", k)
		}
	}
	last := "A" // a token whose last character differs from svc's
	if strings.HasSuffix(svc, last) {
		last = "B"
	}
	for _, bad := range []string{"", svc + "x", svc[:len(svc)-1] + last, "kpt_", "kpt_0123456789_", "node-token"} {
		if _, err := d.TokenAuth(bad); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("TokenAuth(%q) = %v", bad, err)
		}
	}
	c.add(time.Hour)
	if _, err := d.TokenAuth(svc); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := d.RevokeToken("node", "alice-laptop"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TokenAuth(usr); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked token: %v", err)
	}
	usr2, _, _ := d.CreateToken("node", TokenRequest{Name: "alice-2", User: "alice"})
	d.RemoveUser("node", "alice")
	if _, err := d.TokenAuth(usr2); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("token of a removed user: %v", err)
	}
	for _, req := range []TokenRequest{{Name: "x", Role: Clerk, User: "alice"}, {Name: "y"}, {Name: "z", Role: Viewer, TTL: MaxTokenTTL + 1}, {Name: "Bad", Role: Viewer}, {Name: "w", User: "nobody"}} {
		if _, _, err := d.CreateToken("node", req); err == nil {
			t.Errorf("CreateToken(%+v) accepted", req)
		}
	}
}

// TestReopen: accounts and tokens live in the store, so a restart (and a
// restore of a backup, which copies the store) keeps them.
func TestReopen(t *testing.T) {
	d, st, c := openTest(t)
	d.AddUser("node", "alice", Administrator, pw)
	secret, _, _ := d.CreateToken("alice", TokenRequest{Name: "ci", Role: Clerk})
	d2, err := Open(st, Config{BcryptCost: bcrypt.MinCost, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Authenticate("alice", pw); err != nil {
		t.Error(err)
	}
	if p, err := d2.TokenAuth(secret); err != nil || p.Role != Clerk {
		t.Errorf("token after reopen: %+v, %v", p, err)
	}
	st.PutMeta("staff/user/mallory", []byte(`{"name":"eve"}`))
	if _, err := Open(st, Config{BcryptCost: bcrypt.MinCost, Now: c.now}); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("a record under another name's key: %v, want ErrCorrupt", err)
	}
}

// TestBackupCarriesStaff: a store backup restored elsewhere brings the
// accounts and tokens back, revoked ones staying revoked.
func TestBackupCarriesStaff(t *testing.T) {
	d, st, c := openTest(t)
	d.AddUser("node", "alice", Clerk, pw)
	live, _, _ := d.CreateToken("alice", TokenRequest{Name: "ci", Role: Viewer})
	dead, _, _ := d.CreateToken("alice", TokenRequest{Name: "old", Role: Viewer})
	d.RevokeToken("alice", "old")
	var buf bytes.Buffer
	if _, err := st.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	opts := store.Options{Dir: filepath.Join(t.TempDir(), "restored")}
	if _, err := store.Restore(opts, &buf); err != nil {
		t.Fatal(err)
	}
	st2, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	d2, err := Open(st2, Config{BcryptCost: bcrypt.MinCost, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := d2.Authenticate("alice", pw); err != nil || p.Role != Clerk {
		t.Errorf("alice after restore: %+v, %v", p, err)
	}
	if _, err := d2.TokenAuth(live); err != nil {
		t.Errorf("live token after restore: %v", err)
	}
	if _, err := d2.TokenAuth(dead); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked token after restore: %v", err)
	}
}

// TestChangesAudited: every change names its actor in the audit log.
func TestChangesAudited(t *testing.T) {
	d, st, _ := openTest(t)
	d.AddUser("node", "alice", Administrator, pw)
	d.AddUser("alice", "bob", Viewer, pw)
	d.SetPassword("alice", "bob", crypto.Secret("bobs new password"))
	d.SetRole("alice", "bob", Clerk)
	d.CreateToken("token:ops", TokenRequest{Name: "ci", Role: Clerk})
	d.RevokeToken("alice", "ci")
	d.RemoveUser("alice", "bob")
	log, err := st.AuditLog(100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, actor string }{{AuditUserRemove, "alice"}, {AuditTokenRevoke, "alice"}, {AuditTokenCreate, "token:ops"},
		{AuditUserRole, "alice"}, {AuditUserPasswd, "alice"}, {AuditUserAdd, "alice"}, {AuditUserAdd, "node"}}
	if len(log) != len(want) {
		t.Fatalf("audit log has %d records, want %d: %+v", len(log), len(want), log)
	}
	for i, w := range want {
		if log[i].Action != w.action || log[i].Actor != w.actor {
			t.Errorf("record %d = %s by %s, want %s by %s", log[i].Seq, log[i].Action, log[i].Actor, w.action, w.actor)
		}
		if bytes.Contains(log[i].Details, []byte("hash")) {
			t.Errorf("record %d carries a hash: %s", log[i].Seq, log[i].Details)
		}
	}
}
