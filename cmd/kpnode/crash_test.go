package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

// daemon is a kpnode run process started by a test.
type daemon struct {
	t    *testing.T
	home string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

func kpnode(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("kpnode", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("kpnode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func startDaemon(t *testing.T, home string) *daemon {
	t.Helper()
	return startDaemonOn(t, home, "/ip4/127.0.0.1/tcp/0")
}

// startDaemonOn starts kpnode run on home with the libp2p listen address
// listen and an API on a free port, and waits until the API answers.
func startDaemonOn(t *testing.T, home, listen string) *daemon {
	t.Helper()
	os.Remove(filepath.Join(home, "api.addr"))
	d := &daemon{t: t, home: home, done: make(chan struct{})}
	d.cmd = exec.Command("kpnode", "run", "--home", home, "--api", "127.0.0.1:0",
		"--listen", listen, "--log-format", "json")
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.kill() })
	kpnode(t, "status", "--home", home, "--wait", "60s")
	return d
}

// stop interrupts the daemon (as Ctrl-C does) and waits for it to exit.
func (d *daemon) stop() {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.kill()
		d.t.Fatalf("daemon %s did not stop within 30 s of SIGINT:\n%s", d.home, d.out.String())
	}
}

func (d *daemon) kill() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.t.Errorf("daemon %s did not die after SIGKILL", d.home)
	}
}

// apiClient posts to a daemon's API with its token.
type apiClient struct {
	base, token string
	http        *http.Client
}

func newAPIClient(t *testing.T, home string) *apiClient {
	h, cfg, err := node.OpenHome(home)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := h.ReadToken()
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{base: "http://" + h.APIAddr(cfg), token: string(tok.Reveal()),
		http: &http.Client{Timeout: 10 * time.Second}}
}

func (c *apiClient) do(method, path string, body []byte, out any) error {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// TestSIGKILLDuringAppends kills the daemon while clients are publishing,
// several times, and checks after each kill that verify passes and that
// every append the API acknowledged is in the feed with the same hash.
func TestSIGKILLDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped in -short mode")
	}
	dir := t.TempDir()
	in, be := filepath.Join(dir, "in"), filepath.Join(dir, "be")
	kpnode(t, "init", "--participant", "IN", "--name", "India KP Authority", "--home", in)
	kpnode(t, "init", "--participant", "BE", "--name", "Belgian Diamond Office", "--home", be)
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
		checkAcked(t, newAPIClient(t, in), acked)
		publishUntilKilled(t, d, notice, acked)
		if out, err := exec.Command("kpnode", "verify", "--home", in).CombinedOutput(); err != nil {
			t.Fatalf("round %d: verify after SIGKILL: %v\n%s", round, err, out)
		}
	}
	startDaemon(t, in)
	checkAcked(t, newAPIClient(t, in), acked)
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

func checkAcked(t *testing.T, c *apiClient, acked map[uint64]string) {
	t.Helper()
	var entries []node.FeedEntry
	if err := c.do("GET", "/api/feeds/IN/entries?limit=10000", nil, &entries); err != nil {
		t.Fatal(err)
	}
	have := map[uint64]string{}
	for _, e := range entries {
		have[e.Seq] = e.Hash.String()
	}
	for seq, hash := range acked {
		if have[seq] != hash {
			t.Fatalf("acknowledged entry %d (hash %s) lost after SIGKILL: store has %q", seq, hash, have[seq])
		}
	}
}

func waitUntil(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached before the deadline")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
