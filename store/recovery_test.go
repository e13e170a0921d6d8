package store

import (
	"errors"
	"testing"
)

func TestRecoveringFlag(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	if _, ok, err := s.Recovering(); err != nil || ok {
		t.Fatalf("fresh store: recovering %v, %v; want not flagged", ok, err)
	}
	if err := s.MarkRecovering(""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty reason: %v, want ErrInvalid", err)
	}
	if err := s.MarkRecovering("restored from backup.tar"); err != nil {
		t.Fatal(err)
	}
	first, err := s.RecoveringSince()
	if err != nil || first.IsZero() {
		t.Fatalf("since %v, %v", first, err)
	}
	if err := s.MarkRecovering("keys restored by init --from-key"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	reason, ok, err := s.Recovering()
	if err != nil || !ok || reason != "keys restored by init --from-key" {
		t.Fatalf("after reopen: %q %v %v", reason, ok, err)
	}
	if since, _ := s.RecoveringSince(); !since.Equal(first) {
		t.Fatalf("since moved from %v to %v on a second mark", first, since)
	}
	if err := s.ClearRecovering(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Recovering(); err != nil || ok {
		t.Fatalf("after clear: %v %v", ok, err)
	}
	if err := s.ClearRecovering(); err != nil {
		t.Fatalf("clear twice: %v", err)
	}
	log, err := s.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range log {
		actions = append(actions, r.Action)
	}
	want := []string{AuditRecoveryEnd, AuditRecoveryStart, AuditRecoveryStart}
	if len(actions) != len(want) || actions[0] != want[0] || actions[1] != want[1] || actions[2] != want[2] {
		t.Fatalf("audit actions %v, want %v (newest first)", actions, want)
	}
}
