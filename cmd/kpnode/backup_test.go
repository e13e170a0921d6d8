package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
)

// TestBackupOfARunningNode backs up a daemon while a client keeps
// publishing to it, restores the backup into a new home, verifies and
// starts it, and checks that it holds exactly the snapshot: the same
// counts and heads, whole feeds.
func TestBackupOfARunningNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped in -short mode")
	}
	dir, in, be := initPair(t)
	ind := startDaemon(t, in)
	bed := startDaemon(t, be)
	pinEachOther(t, dir, in, be)
	c := newAPIClient(t, in)
	publishNotices(t, c, "BE", 20)

	stop, written := keepPublishing(t, c, "BE")
	path := filepath.Join(dir, "in.kpbackup")
	var hdr home.BackupHeader
	if err := json.Unmarshal([]byte(kpnode(t, "backup", path, "--home", in, "--with-keys", "--json")), &hdr); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if n := <-written; n == 0 {
		t.Fatal("nothing was published while the backup ran")
	}
	if hdr.Store.Entries < 20 || hdr.Store.Feeds == 0 || hdr.Encrypted || len(hdr.Files) != 2 {
		t.Fatalf("backup header %+v", hdr)
	}
	ind.stop()
	bed.stop()

	restored := filepath.Join(dir, "in2")
	kpnode(t, "restore", path, "--home", restored)
	kpnode(t, "verify", "--home", restored)
	startDaemon(t, restored)
	rc := newAPIClient(t, restored)
	for _, f := range status(t, rc).Feeds {
		checkFeed(t, rc, f.Author, int(f.Seq))
	}
	var again home.BackupHeader
	if err := json.Unmarshal([]byte(kpnode(t, "backup", filepath.Join(dir, "in2.kpbackup"), "--home", restored, "--json")), &again); err != nil {
		t.Fatal(err)
	}
	got, want := again.Store, hdr.Store
	if got.StoreID != want.StoreID || got.Entries != want.Entries || got.Records != want.Records ||
		got.Feeds != want.Feeds || got.Partners != want.Partners || !maps.Equal(got.Heads, want.Heads) {
		t.Fatalf("restored node holds %+v, the backup %+v", got, want)
	}
	// The restore adds its own record and the recovery flag's start; the
	// running node may already have ended the recovery (a third).
	if got.Audit < want.Audit+2 || got.Audit > want.Audit+3 {
		t.Fatalf("restored audit log: %d records, want %d (backed up) + store.restore + recovery.start [+ recovery.end]", got.Audit, want.Audit)
	}
}

// keepPublishing publishes notices to partner until stop is closed, then
// sends how many it published. It returns once the first one is in.
func keepPublishing(t *testing.T, c *apiClient, partner string) (stop chan struct{}, written chan int) {
	t.Helper()
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"to": []string{partner}, "record": json.RawMessage(notice)})
	stop, written = make(chan struct{}), make(chan int, 1)
	first := make(chan error, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				written <- n
				return
			default:
			}
			var p node.Published
			err := c.do("POST", "/api/records/notice", body, &p)
			if n == 0 {
				first <- err
			}
			if err != nil {
				written <- n
				return
			}
			n++
		}
	}()
	if err := <-first; err != nil {
		t.Fatalf("publish: %v", err)
	}
	return stop, written
}
