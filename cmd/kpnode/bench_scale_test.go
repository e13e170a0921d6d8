package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// The start-up and verify benchmarks of issue 7, item 6: a node whose
// store holds 1,000,000 entries starts in under a second, and kpnode
// verify checks them all in under 30 s. scripts/bench.sh turns their
// metrics into rows of BENCHMARKS.md.

var scaleN = flag.Int("scale.n", 0, "entries in the store of BenchmarkStartUp and BenchmarkVerifyStore (default 1000000, 20000 with -short; env KPNODE_BENCH_SCALE_N)")

// scaleFeeds are the feeds of the large store: the node's own (IN) and
// three partners', each with a quarter of the entries.
var scaleFeeds = []string{"IN", "BE", "AE", "ZA"}

// scaleHomes caches the home with the large store, built once per test
// process and shared by the benchmarks and their runs (-count). TestMain
// removes it.
var scaleHomes struct {
	mu    sync.Mutex
	dir   string // the temporary directory holding the home, "" until built
	home  string
	n     int
	build time.Duration
}

// removeScaleHome deletes the cached home, if any.
func removeScaleHome() {
	scaleHomes.mu.Lock()
	defer scaleHomes.mu.Unlock()
	if scaleHomes.dir != "" {
		os.RemoveAll(scaleHomes.dir)
		scaleHomes.dir = ""
	}
}

// BenchmarkStartUp times kpnode run on a home whose store holds N entries
// (default 1,000,000), from exec until the API answers /api/status. The
// reconciliation state is loaded in the background after that. It reports
// the start-up in seconds and the daemon's resident memory when it
// answers; the baseline, measured in the same run, is the start-up of the
// same daemon on an empty store.
func BenchmarkStartUp(b *testing.B) {
	home, n := scaleHome(b)
	empty := filepath.Join(b.TempDir(), "empty")
	peerExec(b, "init", "--participant", "IN", "--name", "India KP Authority", "--home", empty, "--listen", peerListen(b))
	// The fixture is written without a node, as a store of the release
	// before the membership index: its first start builds the index from
	// every notice (all 1,000,000 entries here are notices; a real store
	// holds a few hundred), once, as after an upgrade or a crash. It is
	// reported apart; start_s is the start of a node that closed cleanly.
	first, firstRSS := timeStartUp(b, home, n/len(scaleFeeds))
	b.ResetTimer()
	var full, base time.Duration
	var rss int64
	for range b.N {
		t, r := timeStartUp(b, home, n/len(scaleFeeds))
		full, rss = full+t, max(rss, r)
		t, _ = timeStartUp(b, empty, 0)
		base += t
	}
	b.ReportMetric(first.Seconds(), "first_start_s")
	b.ReportMetric(float64(firstRSS)/(1<<20), "first_rss_MB")
	b.ReportMetric(full.Seconds()/float64(b.N), "start_s")
	b.ReportMetric(base.Seconds()/float64(b.N), "empty_start_s")
	b.ReportMetric(float64(rss)/(1<<20), "rss_MB")
	b.ReportMetric(float64(n), "entries")
}

// timeStartUp starts kpnode run on home and returns the time until its API
// answered and the daemon's resident memory then. It checks that the node
// holds its own feed up to ownSeq, then stops it (not timed).
func timeStartUp(b *testing.B, home string, ownSeq int) (time.Duration, int64) {
	b.StartTimer()
	start := time.Now()
	d := startPeerDaemon(b, home)
	c := waitAPI(b, d)
	took := time.Since(start)
	b.StopTimer()
	rss := procRSS(d.cmd.Process.Pid)
	defer d.stop(b)
	var s node.Status
	if err := c.do("GET", "/api/status", nil, &s); err != nil {
		b.Fatal(err)
	}
	for _, f := range s.Feeds {
		if f.Author == "IN" && f.Seq != uint64(ownSeq) {
			b.Fatalf("the daemon holds its own feed up to %d, want %d", f.Seq, ownSeq)
		}
	}
	return took, rss
}

// BenchmarkVerifyStore times kpnode verify on a home whose store holds N
// entries (default 1,000,000) and checks that it found all of them and no
// problem. The baseline, measured in the same run, is N Ed25519
// verifications one after the other on one core (floor_s): what checking
// every entry's own signature one by one would cost, where verify checks
// them all in batches on every core (docs/protocol.md §2.4). It reports the wall time, the cores the
// command used on average and its peak resident memory: all of it (VmHWM,
// which counts the pages of Badger's memory-mapped tables that the walk
// read, reclaimable page cache) and the anonymous part (RssAnon).
func BenchmarkVerifyStore(b *testing.B) {
	home, n := scaleHome(b)
	var wall, cpu time.Duration
	var rss, anon int64
	for range b.N {
		b.StartTimer()
		start := time.Now()
		rep, use := runVerify(b, home)
		wall += time.Since(start)
		b.StopTimer()
		if rep.Entries != n || len(rep.Problems) > 0 {
			b.Fatalf("verify: %d entries, want %d; problems %+v", rep.Entries, n, rep.Problems)
		}
		cpu += use.cpu
		rss, anon = max(rss, use.maxRSS), max(anon, use.maxAnon)
	}
	floor := verifyFloor(b) * time.Duration(n)
	b.ReportMetric(wall.Seconds()/float64(b.N), "verify_s")
	b.ReportMetric(float64(n)*float64(b.N)/wall.Seconds(), "entries/s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu_cores")
	b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MB")
	b.ReportMetric(float64(anon)/(1<<20), "peak_anon_MB")
	b.ReportMetric(floor.Seconds(), "floor_s")
	b.ReportMetric(float64(n), "entries")
}

// usage is what a finished process used.
type usage struct {
	cpu     time.Duration
	maxRSS  int64 // bytes, VmHWM: with the pages of Badger's mapped files
	maxAnon int64 // bytes, the largest RssAnon sampled: the heap and stacks
}

// runVerify runs kpnode verify --json on home and returns its report and
// what the process used. The peak memory is VmHWM, read every 50 ms while
// the process runs: the rusage of a child that Go started counts the
// parent's resident memory at the exec, as the exec reuses the parent's
// address space until then.
func runVerify(tb testing.TB, home string) (store.VerifyReport, usage) {
	var out, errOut bytes.Buffer
	cmd := exec.Command("kpnode", "verify", "--home", home, "--json")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var u usage
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			u.maxRSS = max(u.maxRSS, procMem(cmd.Process.Pid, "VmHWM"))
			u.maxAnon = max(u.maxAnon, procMem(cmd.Process.Pid, "RssAnon"))
		}
	}
	if err != nil {
		tb.Fatalf("kpnode verify: %v\n%s%s", err, out.String(), errOut.String())
	}
	var rep store.VerifyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		tb.Fatalf("kpnode verify --json: %v\n%s", err, out.String())
	}
	u.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return rep, u
}

// verifyFloor is the time of one Ed25519 verification of an entry-sized
// message on one core: the fastest of 15 batches of 50.
func verifyFloor(tb testing.TB) time.Duration {
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	msg := bytes.Repeat([]byte{7}, 1500)
	sig := id.Sign(crypto.DomainEntry, msg)
	best := time.Duration(1<<63 - 1)
	for range 15 {
		start := time.Now()
		for range 50 {
			if !crypto.Verify(crypto.DomainEntry, id.Public(), msg, sig) {
				tb.Fatal("a valid signature does not verify")
			}
		}
		best = min(best, time.Since(start)/50)
	}
	return best
}

// scaleSize is N: the flag, else the environment, else 20,000 with -short
// and 1,000,000 without.
func scaleSize(tb testing.TB) int {
	if *scaleN > 0 {
		return *scaleN
	}
	if s := os.Getenv("KPNODE_BENCH_SCALE_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < len(scaleFeeds) {
			tb.Fatalf("KPNODE_BENCH_SCALE_N=%q: want a number of at least %d", s, len(scaleFeeds))
		}
		return n
	}
	if testing.Short() {
		return 20_000
	}
	return 1_000_000
}

// scaleHome returns the home with the large store and its number of
// entries, building it on first use. It first stops the network of
// BenchmarkIdle, which runs before (go test runs the benchmarks file by
// file, each -count times in a row).
func scaleHome(b *testing.B) (string, int) {
	b.StopTimer()
	stopIdleNetwork() // BenchmarkIdle's runs are over: its 61 nodes would compete for the cores
	scaleHomes.mu.Lock()
	defer scaleHomes.mu.Unlock()
	n := scaleSize(b)
	n -= n % len(scaleFeeds)
	if scaleHomes.dir != "" && scaleHomes.n == n {
		return scaleHomes.home, n
	}
	if scaleHomes.dir != "" {
		os.RemoveAll(scaleHomes.dir)
	}
	dir, err := os.MkdirTemp("", "kpnode-bench-scale-")
	if err != nil {
		b.Fatal(err)
	}
	scaleHomes.dir, scaleHomes.home, scaleHomes.n = dir, filepath.Join(dir, "in"), n
	start := time.Now()
	buildScaleHome(b, scaleHomes.home, n)
	scaleHomes.build = time.Since(start)
	b.Logf("built a store of %d entries in %s", n, scaleHomes.build.Round(time.Millisecond))
	return scaleHomes.home, n
}

// buildScaleHome makes a home for IN whose store holds n entries, a
// quarter in each of scaleFeeds: IN's own feed and the feeds of three
// pinned partners, every entry sealed to IN and its author, signed,
// chained, its record stored as a node that opened it would. The feeds
// are signed concurrently, one goroutine each, and appended through
// store.AppendRun.
func buildScaleHome(tb testing.TB, dir string, n int) {
	peerExec(tb, "init", "--participant", "IN", "--name", "India KP Authority", "--home", dir, "--listen", peerListen(tb))
	h := home.Home{Dir: dir}
	self, err := h.ReadIdentity(nil)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	authors := []*crypto.Identity{self}
	for _, code := range scaleFeeds[1:] {
		authors = append(authors, pinScalePartner(tb, st, code))
	}
	// each feed holds its own author's notice (a node publishes only its
	// own detections: docs/records.md §1.1)
	recs := map[crypto.PublicKey]*store.Record{}
	for i, a := range authors {
		recs[a.Public()] = &store.Record{Type: "notice", Body: noticeBodyBy(tb, scaleFeeds[i])}
	}
	entries := make(chan *protocol.Entry, 1024)
	errs := make(chan error, len(authors))
	var wg sync.WaitGroup
	for i, a := range authors {
		wg.Go(func() { errs <- signFeed(a, scaleFeeds[i], self, recs[a.Public()].Body, n/len(authors), entries) })
	}
	go func() { wg.Wait(); close(entries); close(errs) }()
	appendInRuns(tb, st, entries, func(e *protocol.Entry) *store.Record { return recs[e.Author] })
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := st.Sync(); err != nil {
		tb.Fatal(err)
	}
}

// appendInRuns appends the entries from in, each with its record recOf,
// in runs of scaleRun entries (store.AppendRun, one transaction each), as
// a catch-up stores them.
func appendInRuns(tb testing.TB, st *store.Store, in <-chan *protocol.Entry, recOf func(*protocol.Entry) *store.Record) {
	const scaleRun = 256
	run := make([]*protocol.Entry, 0, scaleRun)
	recs := make([]*store.Record, 0, scaleRun)
	flush := func() {
		if err := st.AppendRun(run, recs); err != nil {
			tb.Fatalf("append %d entries: %v", len(run), err)
		}
		run, recs = run[:0], recs[:0]
	}
	for e := range in {
		run, recs = append(run, e), append(recs, recOf(e))
		if len(run) == scaleRun {
			flush()
		}
	}
	if len(run) > 0 {
		flush()
	}
}

// signFeed sends n entries of author's feed (audience reader, except in
// the reader's own feed: "BE") to out, in order. To keep the setup short
// it seals 16 records and reuses them: every entry still has its own
// seq, time, chain link and signature.
func signFeed(author *crypto.Identity, code string, reader *crypto.Identity, body []byte, n int, out chan<- *protocol.Entry) error {
	audience := []string{"IN"}
	if code == "IN" {
		audience = []string{"BE"}
	}
	rcpts := []age.Recipient{reader.Recipient(), author.Recipient()}
	type sealed struct {
		ct         []byte
		commitment protocol.Hash
	}
	pool := make([]sealed, 16)
	for i := range pool {
		ct, c, err := protocol.SealRecord(body, rcpts)
		if err != nil {
			return err
		}
		pool[i] = sealed{ct, c}
	}
	var prev protocol.Hash
	t0 := time.Now().UTC().Add(-time.Duration(n) * time.Second)
	for i := range n {
		s := pool[i%len(pool)]
		e, err := protocol.NewEntry(author, protocol.Draft{Seq: uint64(i + 1), Prev: prev, Time: t0.Add(time.Duration(i) * time.Second),
			Type: "notice", Audience: audience, Commitment: s.commitment, Ciphertext: s.ct})
		if err != nil {
			return fmt.Errorf("sign %s #%d: %w", code, i+1, err)
		}
		out <- e
		prev = e.Hash()
	}
	return nil
}

// pinScalePartner pins a partner with a fresh identity under code in st,
// as AddPartner would, and returns the identity.
func pinScalePartner(tb testing.TB, st *store.Store, code string) *crypto.Identity {
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	c := protocol.Card{Version: 1, Code: code, Name: "Authority " + code, PeerID: id.PeerID(),
		AgeRecipient: id.Recipient().String(), Created: time.Now().UTC().Truncate(time.Second)}
	sc, err := protocol.SignCard(c, id)
	if err == nil {
		err = st.PutPartner(store.Partner{Code: code, Card: sc.Bytes(), Key: sc.Key, Added: time.Now().UTC()})
	}
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// noticeBody is docs/examples/notice.json, compacted (805 bytes): IN's.
func noticeBody(tb testing.TB) []byte { return noticeBodyBy(tb, "IN") }

// noticeBodyBy is noticeBody as participant code's own notice, detected
// by code (same size).
func noticeBodyBy(tb testing.TB, code string) []byte {
	raw, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		tb.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"detected_by": "IN"`), []byte(`"detected_by": "`+code+`"`), 1)
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		tb.Fatal(err)
	}
	if err := protocol.ValidateRecord("notice", body.Bytes()); err != nil {
		tb.Fatal(err)
	}
	return body.Bytes()
}

// procRSS is the resident memory of process pid in bytes (VmRSS), or 0
// where it cannot be read.
func procRSS(pid int) int64 { return procMem(pid, "VmRSS") }

// procMem is the field (VmRSS, VmHWM, …) of /proc/PID/status in bytes, or
// 0 where it cannot be read.
func procMem(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
