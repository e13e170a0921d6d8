package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

// catchUpEntries is how many entries IN appends while BE is down.
const catchUpEntries = 1500

// TestCatchUpAfterSIGKILL runs two real daemons pinned to each other. BE
// is stopped while IN appends catchUpEntries notices to it; BE restarts,
// is killed with SIGKILL part-way through catching up, restarts again and
// must end with IN's whole feed, verified, while IN sees BE's receipt of
// all of it.
//
// Each daemon listens on a fixed loopback port chosen by the test, so both
// cards stay true across restarts. What reconnects them quickly is the
// restarted BE dialling IN at once (its dialer starts afresh); IN redialling
// BE's unchanged address on its backoff (up to a minute) is the slower,
// second path. No address override is needed.
func TestCatchUpAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons and appends 1500 entries; skipped in -short mode")
	}
	dir := t.TempDir()
	in, be := filepath.Join(dir, "in"), filepath.Join(dir, "be")
	kpnode(t, "init", "--participant", "IN", "--name", "India KP Authority", "--home", in)
	kpnode(t, "init", "--participant", "BE", "--name", "Belgian Diamond Office", "--home", be)
	inListen, beListen := loopbackListen(t), loopbackListen(t)
	startDaemonOn(t, in, inListen)
	bed := startDaemonOn(t, be, beListen)
	pinEachOther(t, dir, in, be)
	inAPI := newAPIClient(t, in)
	poll(t, 30*time.Second, "IN connected to BE", func() bool { return partnerOf(t, inAPI, "BE").Connected })

	bed.stop()
	start := time.Now()
	publishNotices(t, inAPI, catchUpEntries)
	t.Logf("IN appended %d entries in %s while BE was down", catchUpEntries, time.Since(start).Round(time.Millisecond))

	bed = startDaemonOn(t, be, beListen)
	beAPI := newAPIClient(t, be)
	var held uint64
	poll(t, 30*time.Second, "BE holds 300 of IN's entries", func() bool { held = heldOf(t, beAPI, "IN"); return held >= 300 })
	bed.kill()
	t.Logf("SIGKILL with %d of %d entries held", held, catchUpEntries)
	if held >= catchUpEntries {
		t.Logf("BE had caught up before the kill; the restart below still checks recovery")
	}
	kpnode(t, "verify", "--home", be) // the store is sound after SIGKILL

	start = time.Now()
	bed = startDaemonOn(t, be, beListen)
	beAPI = newAPIClient(t, be)
	poll(t, 120*time.Second, "BE holds all of IN's entries", func() bool { return heldOf(t, beAPI, "IN") == catchUpEntries })
	t.Logf("BE caught up after its restart in %s", time.Since(start).Round(time.Millisecond))
	checkFeed(t, beAPI, "IN", catchUpEntries)
	poll(t, 60*time.Second, "IN has BE's receipt of its whole feed", func() bool {
		p := partnerOf(t, inAPI, "BE")
		return p.Receipt == catchUpEntries && p.Undelivered == 0 && p.OurHead == catchUpEntries
	})
	bed.stop()
	kpnode(t, "verify", "--home", be)
}

// loopbackListen returns a TCP listen multiaddr on a loopback port that was
// free a moment ago: the daemon keeps it across restarts.
func loopbackListen(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", l.Addr().(*net.TCPAddr).Port)
}

// pinEachOther exchanges the cards of two running daemons.
func pinEachOther(t *testing.T, dir, a, b string) {
	t.Helper()
	for _, pair := range [][2]string{{a, b}, {b, a}} {
		card := filepath.Join(dir, filepath.Base(pair[1])+".card")
		if err := os.WriteFile(card, []byte(kpnode(t, "card", "--home", pair[1])), 0o644); err != nil {
			t.Fatal(err)
		}
		kpnode(t, "partners", "add", card, "--home", pair[0])
	}
}

// publishNotices appends n copies of the example notice to BE through the
// API, from eight clients at once.
func publishNotices(t *testing.T, c *apiClient, n int) {
	t.Helper()
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"to": []string{"BE"}, "record": json.RawMessage(notice)})
	var next atomic.Int64
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				var p node.Published
				if err := c.do("POST", "/api/records/notice", body, &p); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
}

// poll calls cond every 20 ms until it holds, failing the test after
// timeout.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("not reached within %s: %s", timeout, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func status(t *testing.T, c *apiClient) node.Status {
	t.Helper()
	var s node.Status
	if err := c.do("GET", "/api/status", nil, &s); err != nil {
		t.Fatalf("status: %v", err)
	}
	return s
}

func partnerOf(t *testing.T, c *apiClient, code string) node.PartnerStatus {
	t.Helper()
	for _, p := range status(t, c).Partners {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("partner %s missing from status", code)
	return node.PartnerStatus{}
}

// heldOf is the head of the node's copy of author's feed, by its status.
func heldOf(t *testing.T, c *apiClient, author string) uint64 {
	t.Helper()
	for _, f := range status(t, c).Feeds {
		if f.Author == author {
			return f.Seq
		}
	}
	return 0
}

// checkFeed reads the whole feed of author and checks it holds seqs 1..n in
// order, each with its decrypted record.
func checkFeed(t *testing.T, c *apiClient, author string, n int) {
	t.Helper()
	var entries []node.FeedEntry
	if err := c.do("GET", fmt.Sprintf("/api/feeds/%s/entries?limit=10000", author), nil, &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("feed %s: %d entries, want %d", author, len(entries), n)
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) || len(e.Record) == 0 {
			t.Fatalf("feed %s: entry %d has seq %d, record %d bytes", author, i+1, e.Seq, len(e.Record))
		}
	}
}
