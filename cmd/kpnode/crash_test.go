package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

// TestSIGKILLDuringAppends kills the daemon while clients are publishing,
// several times, and checks after each kill that verify passes and that
// every append the API acknowledged is in the feed with the same hash.
func TestSIGKILLDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped in -short mode")
	}
	dir, in, be := initPair(t)
	bed := startDaemon(t, be)
	card := filepath.Join(dir, "be.card")
	os.WriteFile(card, []byte(kpnode(t, "card", "--home", be)), 0o644)
	bed.kill()
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]string{}
	for round := range 3 {
		d := startDaemon(t, in)
		if round == 0 {
			kpnode(t, "partners", "add", card, "--home", in)
		}
		checkAcked(t, newAPIClient(t, in), "IN", acked)
		publishUntilKilled(t, d, notice, acked)
		if out, err := exec.Command("kpnode", "verify", "--home", in).CombinedOutput(); err != nil {
			t.Fatalf("round %d: verify after SIGKILL: %v\n%s", round, err, out)
		}
	}
	startDaemon(t, in)
	checkAcked(t, newAPIClient(t, in), "IN", acked)
	t.Logf("%d acknowledged appends survived 3 SIGKILLs", len(acked))
}

// publishUntilKilled runs four publishing clients, kills the daemon once
// they have had 40 acknowledgements, and records every acknowledged
// (seq, hash).
func publishUntilKilled(t *testing.T, d *daemon, notice []byte, acked map[uint64]string) {
	c := newAPIClient(t, d.home)
	body, _ := json.Marshal(map[string]any{"to": []string{"BE"}, "record": json.RawMessage(notice)})
	var mu sync.Mutex
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				var p node.Published
				if err := c.do("POST", "/api/records/notice", body, &p); err != nil {
					return // the daemon died
				}
				mu.Lock()
				acked[p.Seq] = p.Hash.String()
				n++
				mu.Unlock()
			}
		})
	}
	waitUntil(t, ctx, func() bool { mu.Lock(); defer mu.Unlock(); return n >= 40 })
	d.kill()
	wg.Wait()
}
