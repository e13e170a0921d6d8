package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
)

// Helpers for tests that run real kpnode daemons (the test binary is
// kpnode in PATH, see TestMain) and drive them through the CLI and the API.

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
	out, err := runKpnode(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runKpnode runs kpnode with args; its error quotes the output.
func runKpnode(args ...string) (string, error) {
	out, err := exec.Command("kpnode", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("kpnode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// initPair creates the homes of IN and BE in a temporary directory and
// returns the directory and both homes.
func initPair(t *testing.T) (dir, in, be string) {
	t.Helper()
	dir = t.TempDir()
	in, be = filepath.Join(dir, "in"), filepath.Join(dir, "be")
	kpnode(t, "init", "--participant", "IN", "--name", "India KP Authority", "--home", in)
	kpnode(t, "init", "--participant", "BE", "--name", "Belgian Diamond Office", "--home", be)
	return dir, in, be
}

func startDaemon(t *testing.T, home string) *daemon {
	t.Helper()
	return startDaemonOn(t, home, "/ip4/127.0.0.1/tcp/0")
}

// startDaemonOn starts kpnode run on home with the libp2p listen address
// listen and an API on a free port, and waits until the API answers.
func startDaemonOn(t *testing.T, home, listen string) *daemon {
	t.Helper()
	return startDaemonBin(t, "kpnode", home, listen)
}

// startDaemonBin is startDaemonOn with the kpnode executable bin (an
// older release, in the upgrade tests).
func startDaemonBin(t *testing.T, bin, home, listen string) *daemon {
	t.Helper()
	os.Remove(filepath.Join(home, "api.addr"))
	d := &daemon{t: t, home: home, done: make(chan struct{})}
	d.cmd = exec.Command(bin, "run", "--home", home, "--api", "127.0.0.1:0",
		"--listen", listen, "--log-format", "json")
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.kill() })
	d.waitReady()
	return d
}

// waitReady waits until the daemon's API answers, failing at once, with
// its output, if the daemon exits first.
func (d *daemon) waitReady() {
	d.t.Helper()
	st := exec.Command("kpnode", "status", "--home", d.home, "--wait", "60s")
	out := make(chan error, 1)
	var b bytes.Buffer
	st.Stdout, st.Stderr = &b, &b
	if err := st.Start(); err != nil {
		d.t.Fatal(err)
	}
	go func() { out <- st.Wait() }()
	select {
	case err := <-out:
		if err != nil {
			d.t.Fatalf("daemon %s not ready: %v\n%s", d.home, err, b.String())
		}
	case <-d.done:
		st.Process.Kill()
		<-out
		d.t.Fatalf("daemon %s exited before its API answered:\n%s", d.home, d.out.String())
	}
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

func newAPIClient(t *testing.T, dir string) *apiClient {
	h, cfg, err := home.OpenHome(dir)
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

// withTimeout returns a copy of c whose calls may take up to d.
func (c *apiClient) withTimeout(d time.Duration) *apiClient {
	slow := *c
	slow.http = &http.Client{Timeout: d}
	return &slow
}

func (c *apiClient) do(method, path string, body []byte, out any) error {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		e := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		var body struct {
			Error struct{ Code, Message string }
		}
		if json.NewDecoder(resp.Body).Decode(&body) == nil {
			e.Code, e.Message = body.Error.Code, body.Error.Message
		}
		return e
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// apiError is a daemon's error answer, with the API's error code.
type apiError struct {
	Method, Path  string
	Status        int
	Code, Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// checkAcked checks that author's feed, read through c, holds every
// acknowledged (seq, hash) of acked.
func checkAcked(t *testing.T, c *apiClient, author string, acked map[uint64]string) {
	t.Helper()
	checkHashes(t, author, readFeed(t, c, author, 1), acked)
}

// checkHashes checks that entries, read from author's feed, hold every
// acknowledged (seq, hash) of acked.
func checkHashes(t *testing.T, author string, entries []node.FeedEntry, acked map[uint64]string) {
	t.Helper()
	have := make(map[uint64]string, len(entries))
	for _, e := range entries {
		have[e.Seq] = e.Hash.String()
	}
	for seq, hash := range acked {
		if have[seq] != hash {
			t.Fatalf("feed %s: acknowledged entry %d (hash %s) lost: store has %q", author, seq, hash, have[seq])
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

// publishNotices appends n copies of the example notice, addressed to
// partner to, through the API, from eight clients at once.
func publishNotices(t *testing.T, c *apiClient, to string, n int) {
	t.Helper()
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"to": []string{to}, "record": json.RawMessage(notice)})
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
	checkFeedEntries(t, author, readFeed(t, c, author, 1), n)
}

// checkFeedEntries checks that entries, read from author's feed, are seqs
// 1..n in order, each with its decrypted record.
func checkFeedEntries(t *testing.T, author string, entries []node.FeedEntry, n int) {
	t.Helper()
	if len(entries) != n {
		t.Fatalf("feed %s: %d entries, want %d", author, len(entries), n)
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) || len(e.Record) == 0 {
			t.Fatalf("feed %s: entry %d has seq %d, record %d bytes", author, i+1, e.Seq, len(e.Record))
		}
	}
}

// feedPage is how many entries readFeed asks for at a time: a page of
// batch entries with their records is megabytes.
const feedPage = 500

// readFeed reads author's feed through c from seq from to its head, a
// page at a time (the API gives at most 10000 entries an answer).
func readFeed(t *testing.T, c *apiClient, author string, from uint64) []node.FeedEntry {
	t.Helper()
	var all []node.FeedEntry
	for {
		var page []node.FeedEntry
		path := fmt.Sprintf("/api/feeds/%s/entries?from=%d&limit=%d", author, from, feedPage)
		if err := c.do("GET", path, nil, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < feedPage {
			return all
		}
		from = page[len(page)-1].Seq + 1
	}
}
