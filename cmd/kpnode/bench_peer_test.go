package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// The peer comparison of issue 6, item 3 (docs/performance.md, "Peer
// comparison: Hypercore"): the same N records of 1 KiB appended on one node
// and replicated to a fresh reader, kpnode against Hypercore, each as two
// processes over loopback TCP, in the same run. scripts/bench.sh turns the
// metrics into the "Peer comparison" row of BENCHMARKS.md.

var peerN = flag.Int("peer.n", 0, "records in BenchmarkPeerHypercore (default 100000, 2000 with -short; env KPNODE_BENCH_PEER_N)")

// hypercoreDir holds writer.js, reader.js and their node_modules
// (npm ci --prefix scripts/hypercore).
const hypercoreDir = "../../scripts/hypercore"

// peerRecordSize is the size of a record on both sides.
const peerRecordSize = 1 << 10

// peerRuns counts the replication pairs of BenchmarkPeerHypercore in this
// process, to alternate their order.
var peerRuns int

// BenchmarkPeerHypercore replicates N records of 1 KiB from a writer to a
// fresh reader, with Hypercore and with kpnode, and reports both
// rates and their ratio (kpnode / Hypercore; ≥ 1 means kpnode is at least
// as fast). Appending is setup on both sides; the figure is the time from
// starting the reader's process until it holds all N records:
//
//   - Hypercore: scripts/hypercore/writer.js appends N random blocks to a
//     core and serves it on loopback TCP; reader.js, on an empty Corestore,
//     downloads and verifies (Merkle proofs, the writer's signature) blocks
//     0..N-1 and prints its result.
//   - kpnode: IN's daemon serves a feed of N entries sealed to BE (age) and
//     signed one by one; BE's daemon starts on a home with no store, pins
//     IN's card through its API and catches up, verifying the signature and
//     chain of every entry and decrypting and storing every record. The
//     clock stops when BE's status shows IN's feed at N.
//
// ns/op is the kpnode catch-up alone. It skips when node or the npm
// packages are missing.
func BenchmarkPeerHypercore(b *testing.B) {
	n := peerSize(b)
	requireHypercore(b)
	body := peerRecord(b)
	b.StopTimer()
	w := cachedPeerWriters(b, n, body)
	var kp, hc peerResult
	for range b.N {
		// Alternate which system goes first: the load of a shared machine
		// drifts over the minutes of a run.
		if peerRuns++; peerRuns%2 == 1 {
			hc = hc.add(runHypercore(b, w.hc, n))
			kp = kp.add(runKpnodePeer(b, w.kp, n, body))
		} else {
			kp = kp.add(runKpnodePeer(b, w.kp, n, body))
			hc = hc.add(runHypercore(b, w.hc, n))
		}
	}
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(hc.rate(), "hypercore_rec/s")
	b.ReportMetric(kp.rate(), "kpnode_rec/s")
	b.ReportMetric(kp.rate()/hc.rate(), "kpnode/hypercore")
	hc.reportCPU(b, "hypercore")
	kp.reportCPU(b, "kpnode")
}

// peerResult adds up the replications of one system.
type peerResult struct {
	records                 int
	wall, readCPU, writeCPU time.Duration
}

func (r peerResult) add(s peerResult) peerResult {
	return peerResult{r.records + s.records, r.wall + s.wall, r.readCPU + s.readCPU, r.writeCPU + s.writeCPU}
}

func (r peerResult) rate() float64 { return float64(r.records) / r.wall.Seconds() }

// reportCPU gives each process's CPU time per record, which tells a run
// starved by other load on the machine from one busy with its own work.
func (r peerResult) reportCPU(b *testing.B, name string) {
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.records) }
	b.ReportMetric(per(r.readCPU), name+"_reader_cpu_us/rec")
	b.ReportMetric(per(r.writeCPU), name+"_writer_cpu_us/rec")
}

// peerSize is N: the flag, else the environment, else 2000 with -short and
// 100,000 without.
func peerSize(tb testing.TB) int {
	if *peerN > 0 {
		return *peerN
	}
	if s := os.Getenv("KPNODE_BENCH_PEER_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("KPNODE_BENCH_PEER_N=%q: want a positive number", s)
		}
		return n
	}
	if testing.Short() {
		return 2000
	}
	return 100_000
}

// requireHypercore skips the benchmark, saying why, unless node and the
// npm packages of scripts/hypercore are installed.
func requireHypercore(tb testing.TB) {
	if _, err := exec.LookPath("node"); err != nil {
		tb.Skip("peer comparison skipped: node is not installed (it runs Hypercore)")
	}
	if _, err := os.Stat(filepath.Join(hypercoreDir, "node_modules", "corestore", "package.json")); err != nil {
		tb.Skip("peer comparison skipped: Hypercore is not installed; run npm ci --prefix scripts/hypercore (make bench does)")
	}
}

// hypercoreWriter is writer.js serving a core of n blocks.
type hypercoreWriter struct {
	dir   string
	cmd   *exec.Cmd
	stop  func()
	port  int
	key   string
	setup time.Duration // the append, by the writer's clock
}

// startHypercoreWriter starts writer.js, which appends n blocks to a core
// in dir and serves it on loopback TCP.
func startHypercoreWriter(tb testing.TB, dir string, n int) *hypercoreWriter {
	w := exec.Command("node", filepath.Join(hypercoreDir, "writer.js"), filepath.Join(dir, "writer"), strconv.Itoa(n), "0")
	var ready struct {
		Port          int     `json:"port"`
		Key           string  `json:"key"`
		AppendSeconds float64 `json:"append_seconds"`
	}
	stop := startNode(tb, w, 5*time.Minute, &ready)
	return &hypercoreWriter{dir: dir, cmd: w, stop: stop, port: ready.Port, key: ready.Key,
		setup: time.Duration(ready.AppendSeconds * float64(time.Second))}
}

// runHypercore times a fresh reader process, on an empty Corestore, from
// its start until it prints that it holds all n blocks of w's core.
func runHypercore(tb testing.TB, w *hypercoreWriter, n int) peerResult {
	dir := filepath.Join(w.dir, "reader")
	defer os.RemoveAll(dir) // now: ~150 MB
	writerCPU := procCPU(w.cmd.Process.Pid)
	r := exec.Command("node", filepath.Join(hypercoreDir, "reader.js"), dir, w.key, strconv.Itoa(w.port), strconv.Itoa(n))
	var got struct {
		Records    int     `json:"records"`
		Seconds    float64 `json:"seconds"`
		CPUSeconds float64 `json:"cpu_seconds"`
	}
	start := time.Now()
	stopReader := startNode(tb, r, 30*time.Minute, &got)
	wall := time.Since(start)
	writerCPU = procCPU(w.cmd.Process.Pid) - writerCPU
	stopReader()
	if got.Records != n {
		tb.Fatalf("hypercore reader: %d records, want %d", got.Records, n)
	}
	tb.Logf("hypercore: reader held %d blocks after %s (%.2f s by its own clock)", n, wall.Round(time.Millisecond), got.Seconds)
	return peerResult{records: n, wall: wall, readCPU: time.Duration(got.CPUSeconds * float64(time.Second)), writeCPU: writerCPU}
}

// startNode starts a node.js script that prints one JSON line when it is
// ready or done, decodes that line into out and returns a function that
// stops the script (SIGTERM) and waits for it.
func startNode(tb testing.TB, cmd *exec.Cmd, timeout time.Duration, out any) (stop func()) {
	var stderr bytes.Buffer
	first := &firstLine{line: make(chan []byte, 1)}
	cmd.Stdout, cmd.Stderr = first, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}
	script := filepath.Base(cmd.Args[1])
	var b []byte
	select {
	case b = <-first.line:
	case <-exited:
		select {
		case b = <-first.line: // it answered, then exited (the reader does)
		default:
			tb.Fatalf("%s exited without answering: %v\n%s", script, cmd.ProcessState, stderr.String())
		}
	case <-time.After(timeout):
		stop()
		tb.Fatalf("%s: no answer within %s\n%s", script, timeout, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		stop()
		tb.Fatalf("%s: %q: %v\n%s", script, b, err, stderr.String())
	}
	return stop
}

// firstLine is a script's standard output: it sends the first line on
// line and discards the rest. Only the goroutine of exec.Cmd writes to it.
type firstLine struct {
	buf  []byte
	sent bool
	line chan []byte
}

func (w *firstLine) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.sent = true
			w.line <- w.buf[:i+1]
		}
	}
	return len(p), nil
}

// kpnodeWriter is IN's home, whose feed holds n entries for BE, and the
// home BE's runs start from: as kpnode init left it, IN's card aside.
type kpnodeWriter struct {
	in, beTemplate string
	inCard         json.RawMessage
}

// newKpnodeWriter builds IN's feed of n entries for BE under dir.
func newKpnodeWriter(tb testing.TB, dir string, n int, body []byte) *kpnodeWriter {
	w := &kpnodeWriter{in: filepath.Join(dir, "in"), beTemplate: filepath.Join(dir, "be-template")}
	peerExec(tb, "init", "--participant", "IN", "--name", "India KP Authority", "--home", w.in, "--listen", peerListen(tb))
	peerExec(tb, "init", "--participant", "BE", "--name", "Belgian Diamond Office", "--home", w.beTemplate, "--listen", peerListen(tb))
	w.inCard = pinReader(tb, w.in, w.beTemplate)
	appendPeerFeed(tb, w.in, w.beTemplate, body, n)
	return w
}

// runKpnodePeer starts IN's daemon, then times BE's daemon from its start
// on a fresh copy of its home until it holds the whole feed.
func runKpnodePeer(b *testing.B, w *kpnodeWriter, n int, body []byte) peerResult {
	be := filepath.Join(b.TempDir(), "be")
	defer os.RemoveAll(be) // after the daemon stops; ~300 MB
	copyHome(b, w.beTemplate, be)
	ind := startPeerDaemon(b, w.in)
	defer ind.stop(b)
	waitSettled(b, waitAPI(b, ind))
	writerCPU := procCPU(ind.cmd.Process.Pid)
	b.StartTimer()
	start := time.Now()
	bed := startPeerDaemon(b, be)
	defer bed.stop(b)
	bec := waitAPI(b, bed)
	var p node.Partner
	if err := bec.do("POST", "/api/partners", w.inCard, &p); err != nil {
		b.Fatalf("BE pins IN: %v", err)
	}
	waitHeld(b, bec, "IN", uint64(n), 30*time.Minute)
	wall := time.Since(start)
	b.StopTimer()
	readerCPU, writerCPU := procCPU(bed.cmd.Process.Pid), procCPU(ind.cmd.Process.Pid)-writerCPU
	checkPeerRecord(b, bec, "IN", uint64(n), body)
	b.Logf("kpnode: BE caught up on %d entries in %s", n, wall.Round(time.Millisecond))
	return peerResult{records: n, wall: wall, readCPU: readerCPU, writeCPU: writerCPU}
}

// copyHome copies a home's regular files with their permission bits
// (kpnode refuses secrets that others can read).
func copyHome(tb testing.TB, src, dst string) {
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		tb.Fatalf("copy home %s: %v", src, err)
	}
}

// peerPair is the two writers of BenchmarkPeerHypercore.
type peerPair struct {
	kp *kpnodeWriter
	hc *hypercoreWriter
}

// peerWriters caches the writers of BenchmarkPeerHypercore for the test
// process: built once, they serve every run (-count); only the fresh
// readers are timed. TestMain stops them.
var peerWriters struct {
	mu   sync.Mutex
	n    int
	dir  string
	pair peerPair
}

// cachedPeerWriters returns the writers of n records, building them on
// first use.
func cachedPeerWriters(b *testing.B, n int, body []byte) peerPair {
	peerWriters.mu.Lock()
	defer peerWriters.mu.Unlock()
	if peerWriters.dir != "" && peerWriters.n == n {
		return peerWriters.pair
	}
	stopPeerWritersLocked()
	dir, err := os.MkdirTemp("", "kpnode-bench-peer-")
	if err != nil {
		b.Fatal(err)
	}
	peerWriters.dir, peerWriters.n = dir, n
	peerWriters.pair.hc = startHypercoreWriter(b, dir, n)
	peerWriters.pair.kp = newKpnodeWriter(b, dir, n, body)
	b.Logf("writers of %d records ready (hypercore appended in %s)", n, peerWriters.pair.hc.setup.Round(time.Millisecond))
	return peerWriters.pair
}

// stopPeerWriters stops the Hypercore writer and removes both writers'
// files.
func stopPeerWriters() {
	peerWriters.mu.Lock()
	defer peerWriters.mu.Unlock()
	stopPeerWritersLocked()
}

func stopPeerWritersLocked() {
	if peerWriters.pair.hc != nil {
		peerWriters.pair.hc.stop()
	}
	if peerWriters.dir != "" {
		os.RemoveAll(peerWriters.dir)
	}
	peerWriters.dir, peerWriters.pair = "", peerPair{}
}

// pinReader runs both daemons once: IN pins BE's card, and IN's card is
// returned for BE to pin later. BE's store (and store.id) is then deleted,
// so that BE starts as a fresh reader, its home as kpnode init left it.
func pinReader(tb testing.TB, in, be string) json.RawMessage {
	bed := startPeerDaemon(tb, be)
	var beCard json.RawMessage
	if err := waitAPI(tb, bed).do("GET", "/api/card", nil, &beCard); err != nil {
		tb.Fatal(err)
	}
	bed.stop(tb)
	h := home.Home{Dir: be}
	if err := errors.Join(os.RemoveAll(h.StoreDir()), os.Remove(h.StoreIDPath())); err != nil {
		tb.Fatal(err)
	}
	ind := startPeerDaemon(tb, in)
	defer ind.stop(tb)
	inc := waitAPI(tb, ind)
	var inCard json.RawMessage
	var p node.Partner
	if err := inc.do("GET", "/api/card", nil, &inCard); err != nil {
		tb.Fatal(err)
	}
	if err := inc.do("POST", "/api/partners", beCard, &p); err != nil {
		tb.Fatalf("IN pins BE: %v", err)
	}
	return inCard
}

// appendPeerFeed appends n notices for BE to IN's feed, in IN's store while
// its daemon is stopped, as Publish would: sealed to BE and IN, signed,
// chained, the record kept. As BenchmarkCatchUp does (node package), it
// seals 64 records and reuses them to keep the setup short; every entry has
// its own seq, time, chain link and signature, and BE opens each in full.
func appendPeerFeed(tb testing.TB, in, be string, body []byte, n int) {
	start := time.Now()
	author, err := home.Home{Dir: in}.ReadIdentity(nil)
	if err != nil {
		tb.Fatal(err)
	}
	reader, err := home.Home{Dir: be}.ReadIdentity(nil)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: home.Home{Dir: in}.StoreDir()})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	type sealed struct {
		ct         []byte
		commitment protocol.Hash
	}
	// As Publish seals: static-static stanzas to BE, then to IN itself.
	var rcpts []age.Recipient
	for _, to := range []*crypto.Identity{reader, author} {
		r, err := crypto.NewStaticRecipient(author.AgeIdentity(), to.Recipient())
		if err != nil {
			tb.Fatal(err)
		}
		rcpts = append(rcpts, r)
	}
	pool := make([]sealed, 64)
	for i := range pool {
		ct, c, err := protocol.SealRecord(body, rcpts)
		if err != nil {
			tb.Fatal(err)
		}
		pool[i] = sealed{ct, c}
	}
	head, err := st.Head(author.Public())
	if err != nil {
		tb.Fatal(err)
	}
	entries := make(chan *protocol.Entry, 1024)
	go func() {
		defer close(entries)
		for i := range n {
			s := pool[i%len(pool)]
			d := protocol.Draft{Seq: head.Seq + 1, Prev: head.Hash, Time: time.Now().UTC(), Type: "notice",
				Audience: []string{"BE"}, Commitment: s.commitment, Ciphertext: s.ct}
			e, err := protocol.NewEntry(author, d)
			if err != nil {
				tb.Errorf("sign entry %d: %v", d.Seq, err)
				return
			}
			entries <- e
			head = store.Head{Seq: e.Seq, Hash: e.Hash()}
		}
	}()
	rec := &store.Record{Type: "notice", Body: body}
	appendInRuns(tb, st, entries, func(*protocol.Entry) *store.Record { return rec })
	if tb.Failed() {
		tb.FailNow()
	}
	if err := st.Sync(); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("kpnode: appended %d entries to IN's feed in %s", n, time.Since(start).Round(time.Millisecond))
}

// peerDaemon is a kpnode run process of the peer comparison, its output in
// a file of its home.
type peerDaemon struct {
	home string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startPeerDaemon starts kpnode run on home, on its configured listen
// address and a free API port. It does not wait for the API.
func startPeerDaemon(tb testing.TB, dir string) *peerDaemon {
	h := home.Home{Dir: dir}
	os.Remove(h.APIAddrPath())
	d := &peerDaemon{home: dir, log: filepath.Join(dir, "daemon.log"), done: make(chan struct{})}
	out, err := os.Create(d.log)
	if err != nil {
		tb.Fatal(err)
	}
	d.cmd = exec.Command("kpnode", "run", "--home", dir, "--api", "127.0.0.1:0", "--log-format", "json")
	d.cmd.Stdout, d.cmd.Stderr = out, out
	// KPNODE_BENCH_PEER_PROFILES=DIR: a CPU profile of each daemon's last
	// run, DIR/in.prof (the writer) and DIR/be.prof (the reader).
	if profiles := os.Getenv("KPNODE_BENCH_PEER_PROFILES"); profiles != "" {
		d.cmd.Env = append(os.Environ(), "KPNODE_CPUPROFILE="+filepath.Join(profiles, filepath.Base(dir)+".prof"))
	}
	if err := d.cmd.Start(); err != nil {
		out.Close()
		tb.Fatal(err)
	}
	go func() { d.cmd.Wait(); out.Close(); close(d.done) }()
	return d
}

// stop interrupts the daemon and waits for it to exit.
func (d *peerDaemon) stop(tb testing.TB) {
	d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		tb.Errorf("daemon %s did not stop within 30 s of SIGINT:\n%s", d.home, d.tail())
	}
}

// tail is the end of the daemon's log.
func (d *peerDaemon) tail() string {
	b, _ := os.ReadFile(d.log)
	return string(b[max(0, len(b)-4000):])
}

// waitAPI polls every 2 ms until the daemon has recorded its API address
// and answers on it, and returns a client of it.
func waitAPI(tb testing.TB, d *peerDaemon) *apiClient {
	h, _, err := home.OpenHome(d.home)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := h.ReadToken()
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			tb.Fatalf("daemon %s exited:\n%s", d.home, d.tail())
		default:
		}
		if addr, err := os.ReadFile(h.APIAddrPath()); err == nil && len(addr) > 0 {
			c := &apiClient{base: "http://" + strings.TrimSpace(string(addr)), token: string(tok.Reveal()),
				http: &http.Client{Timeout: 10 * time.Second}}
			var s node.Status
			if c.do("GET", "/api/status", nil, &s) == nil {
				return c
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	tb.Fatalf("daemon %s: no API within a minute:\n%s", d.home, d.tail())
	return nil
}

// waitSettled polls the status every 20 ms until the daemon has loaded
// its stored records into reconciliation, then asks for its inbox, which
// answers once the inbox's lists are read (they are read after the
// reconciliation load): the start-up work of a daemon that holds a large
// feed (for IN's 100,000 notices about 1.3 s of CPU each; the inbox read,
// left inside the clock, was 16 µs of the writer's 28 µs a record). The
// writer is timed serving only, as Hypercore's writer, which runs from
// one run to the next, is.
func waitSettled(tb testing.TB, c *apiClient) {
	waitReconciled(tb, c)
	var inbox json.RawMessage
	if err := c.do("GET", "/api/inbox?limit=1", nil, &inbox); err != nil {
		tb.Fatalf("read the inbox: %v", err)
	}
}

// waitReconciled polls the status every 20 ms until the daemon has loaded
// its stored records into reconciliation.
func waitReconciled(tb testing.TB, c *apiClient) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var s node.Status
		if err := c.do("GET", "/api/status", nil, &s); err != nil {
			tb.Fatal(err)
		}
		if !s.Reconciliation.Loading {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("reconciliation still loading after 5 minutes")
}

// waitHeld polls the status until the node holds author's feed up to seq.
// It polls every 1/200 of the time waited so far (10 ms to 250 ms): the
// status costs the node some CPU, and the wait stays within 0.5 % of the
// time measured.
func waitHeld(tb testing.TB, c *apiClient, author string, seq uint64, timeout time.Duration) {
	start := time.Now()
	deadline := start.Add(timeout)
	var held uint64
	for time.Now().Before(deadline) {
		var s node.Status
		if err := c.do("GET", "/api/status", nil, &s); err != nil {
			tb.Fatal(err)
		}
		for _, f := range s.Feeds {
			if f.Author == author {
				held = f.Seq
			}
		}
		if held >= seq {
			return
		}
		time.Sleep(min(max(time.Since(start)/200, 10*time.Millisecond), 250*time.Millisecond))
	}
	tb.Fatalf("holds %s's feed up to %d after %s, want %d", author, held, timeout, seq)
}

// checkPeerRecord checks that the node decrypted and stored the record of
// author's entry seq, as it was published.
func checkPeerRecord(tb testing.TB, c *apiClient, author string, seq uint64, body []byte) {
	var v node.RecordView
	if err := c.do("GET", fmt.Sprintf("/api/records/%s/%d", author, seq), nil, &v); err != nil {
		tb.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Compact(&got, v.Record); err != nil || !bytes.Equal(got.Bytes(), body) {
		tb.Fatalf("record %s #%d: %d bytes, not the %d published (%v)", author, seq, got.Len(), len(body), err)
	}
}

// peerListen returns a TCP listen multiaddr on a loopback port that was
// free a moment ago.
func peerListen(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", l.Addr().(*net.TCPAddr).Port)
}

// peerExec runs a kpnode command to completion.
func peerExec(tb testing.TB, args ...string) {
	if out, err := exec.Command("kpnode", args...).CombinedOutput(); err != nil {
		tb.Fatalf("kpnode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// peerRecord is docs/examples/notice.json, compacted, with details padded
// so that the record is exactly peerRecordSize bytes.
func peerRecord(tb testing.TB) []byte {
	raw, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	doc["details"] = ""
	short, err := json.Marshal(doc)
	if err != nil || len(short) > peerRecordSize {
		tb.Fatalf("notice example: %d bytes, %v", len(short), err)
	}
	doc["details"] = strings.Repeat("x", peerRecordSize-len(short))
	body, err := json.Marshal(doc)
	if err == nil {
		err = protocol.ValidateRecord("notice", body)
	}
	if err != nil || len(body) != peerRecordSize {
		tb.Fatalf("1 KiB notice: %d bytes, %v", len(body), err)
	}
	return body
}

// procCPU is the user and system CPU time of process pid so far, from
// /proc (Linux, ticks of 10 ms), or 0 where it cannot be read.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (in parentheses) start with field 3;
	// utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
