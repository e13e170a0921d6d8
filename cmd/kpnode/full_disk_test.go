package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
)

// TestFullDisk runs a real daemon whose store cannot grow, then lets space
// return. "Cannot grow" is the store's reserve check (store.DefaultMinFree)
// seeing less free space than it needs: the reserve is raised above any
// disk's size through store_min_free_mb, so the real statfs figure of the
// test's disk is below it. Badger itself does not fail cleanly on a full
// disk (docs/operations.md, "When the disk is full"), which is why the node
// refuses writes before Badger runs out of space, and why the test drives
// that refusal rather than a real ENOSPC.
//
// While full: publishes and imports fail with 507 store_full and nothing
// is written, the CLI says the disk is full, and status, feeds, records,
// exports and verify keep working. After a restart with the default
// reserve, writes work again and verify is clean.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped in -short mode")
	}
	dir, in, be := initPair(t)
	ind := startDaemon(t, in)
	bed := startDaemon(t, be)
	pinEachOther(t, dir, in, be)
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	n := &crashNode{code: "IN", notice: notice, acked: map[uint64]string{}, certs: map[string]bool{}}
	c := newAPIClient(t, in)
	if err := n.publishOne(c, "BE"); err != nil {
		t.Fatal(err)
	}
	if err := n.importCerts(c, certificateCSV("IN", "BE", "IN-FULL-A", 50)); err != nil {
		t.Fatal(err)
	}
	ind.stop()
	bed.stop()

	setStoreMinFree(t, in, 1<<30) // 1 PiB: no disk has that free
	ind = startDaemon(t, in)
	c = newAPIClient(t, in)
	wantFull(t, n.publishOne(c, "BE"))
	wantFull(t, n.importCerts(c, certificateCSV("IN", "BE", "IN-FULL-B", 50)))
	out, err := exec.Command("kpnode", "publish", "--home", in, "--type", "notice", "--to", "BE",
		"../../docs/examples/notice.json").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "disk is full") {
		t.Errorf("kpnode publish on a full disk: %v, output %q; want a failure saying the disk is full", err, out)
	}
	// Reads go on, and show nothing of the refused writes.
	n.checkAcked(t, c, "IN")
	if head := heldOf(t, c, "IN"); head != 2 {
		t.Errorf("own head %d while full, want 2 (a notice and one import batch)", head)
	}
	var rec json.RawMessage
	if err := c.do("GET", "/api/records/IN/1", nil, &rec); err != nil {
		t.Errorf("read a record while full: %v", err)
	}
	kpnode(t, "verify", "--home", in) // through the running daemon
	kpnode(t, "status", "--home", in)
	ind.stop()

	setStoreMinFree(t, in, 0)
	ind = startDaemon(t, in)
	c = newAPIClient(t, in)
	if err := n.publishOne(c, "BE"); err != nil {
		t.Fatalf("publish once space is back: %v", err)
	}
	if err := n.importCerts(c, certificateCSV("IN", "BE", "IN-FULL-B", 50)); err != nil {
		t.Fatalf("import once space is back: %v", err)
	}
	n.checkAcked(t, c, "IN")
	ind.stop()
	kpnode(t, "verify", "--home", in) // on the store itself
}

// wantFull fails unless err is the API's store_full answer.
func wantFull(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 507 || ae.Code != "store_full" || !strings.Contains(ae.Message, "disk is full") {
		t.Fatalf("write on a full disk: %v; want 507 store_full saying the disk is full", err)
	}
}

// setStoreMinFree writes store_min_free_mb into home's config.json.
func setStoreMinFree(t *testing.T, home string, mb int64) {
	t.Helper()
	path := filepath.Join(home, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["store_min_free_mb"] = mb
	raw, _ = json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := node.LoadConfig(path); err != nil {
		t.Fatal(err)
	}
}
