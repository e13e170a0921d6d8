package api

import (
	"strings"
	"testing"
	"time"
)

func TestSessionIdleExpiry(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	s := newSessions(clk.now)
	secret, _ := s.create(nodePrincipal, "127.0.0.1:5000", "test")
	for range 5 { // used within the idle timeout: stays alive
		clk.t = clk.t.Add(SessionIdleTimeout - time.Second)
		if _, ok := s.use(secret); !ok {
			t.Fatal("a session in use expired")
		}
	}
	clk.t = clk.t.Add(SessionIdleTimeout)
	if _, ok := s.use(secret); ok {
		t.Fatal("an idle session was accepted")
	}
	if n := len(s.list()); n != 0 {
		t.Fatalf("%d sessions listed after expiry", n)
	}
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	s := newSessions(clk.now)
	secret, v := s.create(nodePrincipal, "", "")
	if !v.Expires.Equal(clk.t.Add(SessionIdleTimeout).UTC()) {
		t.Fatalf("a new session expires %v", v.Expires)
	}
	se, _ := s.use(secret)
	for clk.t.Before(v.Created.Add(SessionMaxAge - SessionIdleTimeout)) {
		clk.t = clk.t.Add(SessionIdleTimeout / 2)
		if !s.touch(se) {
			t.Fatalf("an active session ended %v after sign-in", clk.t.Sub(v.Created))
		}
	}
	clk.t = v.Created.Add(SessionMaxAge)
	if _, ok := s.use(secret); ok {
		t.Fatal("a session outlived its absolute expiry")
	}
	select {
	case <-se.ended:
	default:
		t.Fatal("an expired session's streams were not told")
	}
}

func TestSessionRevoke(t *testing.T) {
	s := newSessions(time.Now)
	a, va := s.create(nodePrincipal, "", "")
	b, _ := s.create(nodePrincipal, "", "")
	se, _ := s.use(a)
	if _, ok := s.revoke("nope"); ok {
		t.Fatal("revoked an unknown id")
	}
	if _, ok := s.revoke(va.ID); !ok {
		t.Fatal("revoke failed")
	}
	if _, ok := s.use(a); ok {
		t.Fatal("a revoked session was accepted")
	}
	if s.touch(se) {
		t.Fatal("touch kept a revoked session alive")
	}
	if _, ok := s.use(b); !ok {
		t.Fatal("revoking one session ended another")
	}
}

// TestSessionSecretNotKept: the table holds hashes, the listing only
// public ids; neither is the cookie's secret.
func TestSessionSecretNotKept(t *testing.T) {
	s := newSessions(time.Now)
	secret, v := s.create(nodePrincipal, "", strings.Repeat("a", 500))
	if len(secret) < 40 || strings.Contains(secret, v.ID) || len(v.Agent) != maxAgentLen {
		t.Fatalf("secret %q id %q agent %d bytes", secret, v.ID, len(v.Agent))
	}
	for h, se := range s.byHash {
		if strings.Contains(string(h[:]), secret) || se.id == secret {
			t.Fatal("the secret is kept in the table")
		}
	}
	if _, ok := s.use(v.ID); ok {
		t.Fatal("the public id works as a secret")
	}
}

func TestSessionsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	s := newSessions(clk.now)
	first, _ := s.create(nodePrincipal, "", "")
	var last string
	for range MaxSessions {
		clk.t = clk.t.Add(time.Second)
		last, _ = s.create(nodePrincipal, "", "")
	}
	if n := len(s.list()); n != MaxSessions {
		t.Fatalf("%d sessions, want %d", n, MaxSessions)
	}
	if _, ok := s.use(first); ok {
		t.Fatal("the least recently used session survived past the bound")
	}
	if _, ok := s.use(last); !ok {
		t.Fatal("the newest session was dropped")
	}
}
