package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

// defaultCrashCycles is how many SIGKILLs TestCrashCycles deals out in
// make test, unless KPNODE_CRASH_CYCLES says otherwise (scripts/bench.sh
// asks for 100).
const defaultCrashCycles = 10

// crashCycleCount returns KPNODE_CRASH_CYCLES, else defaultCrashCycles.
func crashCycleCount(t *testing.T) int {
	s := os.Getenv("KPNODE_CRASH_CYCLES")
	if s == "" {
		return defaultCrashCycles
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("KPNODE_CRASH_CYCLES=%q: want a count of at least 1", s)
	}
	return n
}

// The victim is killed killMin plus up to killSpread after its clients
// start. Its importing client gets through an import of 200 to 400
// certificates in about 0.1 s (2,315 certificates acknowledged a cycle
// with kills up to 1.5 s), so every moment of this window falls in the
// middle of publishes and of one of the first imports of makeImports,
// as the 0.1 to 1.5 s of before did; the shorter window halves the
// time bench's 100 cycles spend waiting for the kill (75 s of its 166)
// and the certificates each cycle leaves to read back.
const (
	killMin    = 50 * time.Millisecond
	killSpread = 650 * time.Millisecond
)

// pairLife is how many cycles one pair of daemons lives through before a
// fresh pair takes over. kpnode verify reads the whole store after every
// kill, and the stores grow by megabytes a cycle (the imports), so a
// single pair for bench's 100 cycles made the cycles ever slower; with a
// pair per pairLife cycles every cycle costs about the same. make test's
// 10 cycles are one pair.
const pairLife = 25

// TestCrashCycles runs two real daemons, IN and BE, pinned to each other,
// and kills one of them with SIGKILL crashCycleCount times at a random moment
// while it publishes notices and imports certificates; while it is down,
// the other appends entries it must catch up on. After each kill the
// victim's store must verify with the daemon stopped, every publish and
// import the API acknowledged must still be there (same seq, same hash,
// every certificate number; see checkNew), and the import the kill cut
// short must complete when sent again. At the end of a pair's life each
// node must hold the other's whole feed, every entry and certificate the
// other acknowledged read back from that copy (checkAll), and verify; then
// a fresh pair takes over.
//
// A cycle's cost must not grow with the run (bench runs 100 cycles): after
// a kill only what the victim committed since its last check is read back
// (checkNew), the rest being tied to it by the hash chain, which kpnode
// verify checks whole; the victim's offline verify runs while the other
// node does its catch-up work; and the stores that verify reads are those
// of at most pairLife cycles. The time by phase is logged at the end.
//
// The moments are drawn from a seeded math/rand: the seed is logged, and
// KPNODE_CRASH_SEED=N replays a run's choices (not its timing).
func TestCrashCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons and SIGKILLs them defaultCrashCycles times; skipped in -short mode")
	}
	crashCycles := crashCycleCount(t)
	seed := crashSeed(t)
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	run := &crashRun{rng: rand.New(rand.NewPCG(seed, 0)), notice: notice, clock: newPhaseClock()}
	start := time.Now()
	for first := 0; first < crashCycles; first += pairLife {
		run.pair(t, first, min(first+pairLife, crashCycles))
	}
	t.Logf("time by phase: %s (offline verify alone %.1f s)", run.clock, run.verifying.Seconds())
	took := time.Since(start)
	t.Logf("seed %d: %d SIGKILLs survived in %s (%.1f s a cycle); %d pairs; acknowledged %d entries, %d certificates; %d imports cut and completed",
		seed, crashCycles, took.Round(time.Second), took.Seconds()/float64(crashCycles), run.pairs, run.entries, run.certs, run.cuts)
}

// crashRun is the state of TestCrashCycles across its pairs.
type crashRun struct {
	rng    *rand.Rand
	notice []byte
	clock  *phaseClock

	pairs, entries, certs, cuts int           // totals of the pairs so far
	verifying                   time.Duration // spent in offline verifies
}

// pair runs cycles first..end-1 on a fresh pair of daemons, checks
// everything at the end, then stops them and deletes their homes.
func (r *crashRun) pair(t *testing.T, first, end int) {
	dir := t.TempDir()
	nodes := [2]*crashNode{
		{code: "IN", name: "India KP Authority", home: filepath.Join(dir, "in")},
		{code: "BE", name: "Belgian Diamond Office", home: filepath.Join(dir, "be")},
	}
	for _, n := range nodes {
		n.init(t, r.notice)
	}
	pinEachOther(t, dir, nodes[0].home, nodes[1].home)
	poll(t, 60*time.Second, "IN connected to BE", func() bool { return partnerOf(t, nodes[0].api, "BE").Connected })
	r.clock.lap("pair start and stop")
	for cycle := first; cycle < end; cycle++ {
		r.cycle(t, cycle, nodes)
	}
	for i, n := range nodes {
		other := nodes[1-i]
		head := heldOf(t, other.api, other.code)
		poll(t, 120*time.Second, fmt.Sprintf("%s holds %s's whole feed (%d entries)", n.code, other.code, head),
			func() bool { return heldOf(t, n.api, other.code) == head })
		r.clock.lap("final sync")
		checkAll(t, n, other, int(head))
		r.clock.lap("final read back")
		kpnode(t, "verify", "--home", n.home) // asks the running daemon
		r.clock.lap("final verify")
	}
	for _, n := range nodes {
		n.d.kill()
		r.entries, r.certs, r.cuts = r.entries+len(n.acked), r.certs+len(n.certs), r.cuts+n.cuts
	}
	r.pairs++
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r.clock.lap("pair start and stop")
}

// cycle kills one of nodes at a random moment of its work, lets the other
// work alone, restarts the victim and checks it.
func (r *crashRun) cycle(t *testing.T, cycle int, nodes [2]*crashNode) {
	i := r.rng.IntN(2)
	victim, other := nodes[i], nodes[1-i]
	killAfter := killMin + time.Duration(r.rng.Int64N(int64(killSpread)))
	imports := victim.makeImports(r.rng, cycle, other.code)
	victim.workUntilKilled(t, other.code, imports, killAfter)
	r.clock.lap("work until the kill")
	// Catch-up: the other node appends while the victim is down and its
	// store is verified, offline.
	verified := make(chan error, 1)
	go func() {
		t0 := time.Now()
		_, err := runKpnode("verify", "--home", victim.home)
		r.verifying += time.Since(t0)
		verified <- err
	}()
	other.publish(t, other.api, victim.code, r.rng.IntN(150)+20)
	if err := <-verified; err != nil {
		t.Fatal(err)
	}
	r.clock.lap("catch-up and offline verify")
	victim.start(t)
	r.clock.lap("restart")
	victim.completeCut(t)
	r.clock.lap("cut import sent again")
	victim.checkNew(t)
	r.clock.lap("read back")
	t.Logf("cycle %d: SIGKILL %s after %s; %s acknowledged %d entries, %d certificates so far; %d cut imports completed",
		cycle, victim.code, killAfter, victim.code, len(victim.acked), len(victim.certs), victim.cuts)
}

// crashSeed returns KPNODE_CRASH_SEED, else a fresh seed, and logs it.
func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KPNODE_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KPNODE_CRASH_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with KPNODE_CRASH_SEED=%d)", seed, seed)
	return seed
}

// crashNode is one daemon of TestCrashCycles with what its API has
// acknowledged. Its fields are used by the test goroutine only, except
// where workUntilKilled says otherwise.
type crashNode struct {
	code, name, home, listen string
	notice                   []byte
	d                        *daemon
	api                      *apiClient

	mu       sync.Mutex        // guards acked, certs and newCerts while clients run
	acked    map[uint64]string // own seq → hash, for every 2xx
	certs    map[string]bool   // certificate numbers of acknowledged imports
	newCerts []string          // those acknowledged since the last checkNew
	cut      *certImport       // the import in flight when the daemon died
	cuts     int               // imports cut by a kill and completed

	checked     uint64 // own entries up to this seq were read back by checkNew
	checkedHash string // and this was the hash of entry checked
}

// certImport is one CSV import of certificates.
type certImport struct {
	csv     []byte
	to      string
	numbers []string
}

func (n *crashNode) init(t *testing.T, notice []byte) {
	kpnode(t, "init", "--participant", n.code, "--name", n.name, "--home", n.home)
	// the example notice is IN's: a node publishes only its own detections
	n.notice = bytes.Replace(notice, []byte(`"detected_by": "IN"`), []byte(`"detected_by": "`+n.code+`"`), 1)
	n.listen = loopbackListen(t)
	n.acked, n.certs = map[uint64]string{}, map[string]bool{}
	n.start(t)
}

func (n *crashNode) start(t *testing.T) {
	n.d = startDaemonOn(t, n.home, n.listen)
	n.api = newAPIClient(t, n.home)
}

// makeImports builds twelve imports of 200 to 400 certificates each
// (more than a cycle gets through before its kill), numbered by node,
// cycle and import so that none repeats.
func (n *crashNode) makeImports(rng *rand.Rand, cycle int, to string) []*certImport {
	out := make([]*certImport, 12)
	for i := range out {
		out[i] = certificateCSV(n.code, to, fmt.Sprintf("%s-C%02d-%d", n.code, cycle, i), 200+rng.IntN(201))
	}
	return out
}

// certificateCSV returns rows certificates issued by issuer for
// destination to, numbered prefix-0001, prefix-0002, …
func certificateCSV(issuer, to, prefix string, rows int) *certImport {
	var b strings.Builder
	b.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country," +
		"importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n")
	imp := &certImport{to: to}
	for i := 1; i <= rows; i++ {
		num := fmt.Sprintf("%s-%04d", prefix, i)
		imp.numbers = append(imp.numbers, num)
		fmt.Fprintf(&b, "%s,%s,KP Authority,2026-09-14,2026-11-13,Exporter Ltd,EXP-%04d,%s,Importer BV,IMP-%04d,%s,%s,MIXED,%d,7102.31,%d.25,%d.50\n",
			num, issuer, i, issuer, i, to, to, 1+i%9, 100+i, 1000+i)
	}
	imp.csv = []byte(b.String())
	return imp
}

// workUntilKilled runs two publishing clients and one importing client
// against the daemon and SIGKILLs it after killAfter. An error before the
// kill fails the test; after it, it only stops the client. The import in
// flight at the kill is kept in n.cut.
func (n *crashNode) workUntilKilled(t *testing.T, to string, imports []*certImport, killAfter time.Duration) {
	t.Helper()
	var killed atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fail := func(err error) {
		if !killed.Load() && ctx.Err() == nil {
			t.Errorf("%s before the kill: %v", n.code, err)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := n.publishOne(n.api, to); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for _, imp := range imports {
			if err := n.importCerts(n.api, imp); err != nil {
				fail(err)
				n.mu.Lock()
				n.cut = imp
				n.mu.Unlock()
				return
			}
		}
	})
	time.Sleep(killAfter)
	killed.Store(true)
	n.d.kill()
	cancel()
	wg.Wait()
}

// publishOne publishes the example notice to partner to through c and
// records the acknowledged entry.
func (n *crashNode) publishOne(c *apiClient, to string) error {
	body, _ := json.Marshal(map[string]any{"to": []string{to}, "record": json.RawMessage(n.notice)})
	var p node.Published
	if err := c.do("POST", "/api/records/notice", body, &p); err != nil {
		return err
	}
	n.mu.Lock()
	n.acked[p.Seq] = p.Hash.String()
	n.mu.Unlock()
	return nil
}

// importCerts posts imp and records its entries and certificate numbers
// once acknowledged. Every record of the file must be new or already
// held.
func (n *crashNode) importCerts(c *apiClient, imp *certImport) error {
	var res node.ImportResult
	path := "/api/imports/certificates?to=" + url.QueryEscape(imp.to)
	if err := c.do("POST", path, imp.csv, &res); err != nil {
		return err
	}
	if res.New+res.Skipped != len(imp.numbers) {
		return fmt.Errorf("import of %d certificates: %d new, %d skipped", len(imp.numbers), res.New, res.Skipped)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range res.Entries {
		n.acked[p.Seq] = p.Hash.String()
	}
	for _, num := range imp.numbers {
		n.certs[num] = true
	}
	n.newCerts = append(n.newCerts, imp.numbers...)
	return nil
}

// publish appends count notices to partner to, from four clients, and
// records them. It is the catch-up work done while the partner is down.
func (n *crashNode) publish(t *testing.T, c *apiClient, to string, count int) {
	t.Helper()
	var next atomic.Int64
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for next.Add(1) <= int64(count) {
				if err := n.publishOne(c, to); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("%s: publish while its partner is down: %v", n.code, err)
	}
}

// completeCut sends again the import the kill cut short: imports are
// idempotent, so it must complete, adding only what the kill prevented.
func (n *crashNode) completeCut(t *testing.T) {
	t.Helper()
	if n.cut == nil {
		return
	}
	if err := n.importCerts(n.api, n.cut); err != nil {
		t.Fatalf("%s: import cut by SIGKILL, sent again: %v", n.code, err)
	}
	n.cut = nil
	n.cuts++
}

// checkAcked checks that the copy of n's feed read through c holds every
// acknowledged entry and every acknowledged certificate.
func (n *crashNode) checkAcked(t *testing.T, c *apiClient, author string) {
	t.Helper()
	checkAcked(t, c, author, n.acked)
	var certs []struct{ Number string }
	if err := c.do("GET", "/api/exports/certificates?format=json", nil, &certs); err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, ct := range certs {
		held[ct.Number] = true
	}
	for num := range n.certs {
		if !held[num] {
			t.Fatalf("%s: acknowledged certificate %s missing from %s", c.base, num, author)
		}
	}
}

// checkNew reads back, through n's API, n's own entries from the last one
// the previous checkNew read (entry checked) to the head, and checks that
//   - entry checked still has the hash it had then;
//   - they chain: consecutive seqs, each prev the hash of the entry before;
//   - every acknowledged entry above checked is among them, same hash;
//   - every certificate acknowledged since the last checkNew is in the
//     record of one of them.
//
// Entries below checked were read back by an earlier call. They need no
// second read: the entry at checked, whose hash is checked here, names
// them through the hash chain, and kpnode verify, after every kill,
// checks every link of the store; any of them lost or changed breaks a
// link or changes that hash. The end of TestCrashCycles reads the whole
// feeds and every certificate once more.
func (n *crashNode) checkNew(t *testing.T) {
	t.Helper()
	entries := readFeed(t, n.api, n.code, max(n.checked, 1))
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.checkCommitted(entries); err != nil {
		t.Fatalf("%s: %v", n.code, err)
	}
}

// checkCommitted is checkNew's verdict on entries, n's feed as read from
// entry checked (or 1) on. On success it moves checked to the last of
// them and forgets the certificates it found. n.mu must be held.
func (n *crashNode) checkCommitted(entries []node.FeedEntry) error {
	from := max(n.checked, 1)
	switch {
	case len(entries) > 0 && entries[0].Seq != from:
		return fmt.Errorf("read from entry %d, the feed starts at %d", from, entries[0].Seq)
	case n.checked > 0 && (len(entries) == 0 || entries[0].Hash.String() != n.checkedHash):
		return fmt.Errorf("entry %d, read back with hash %s before, is lost or changed", n.checked, n.checkedHash)
	}
	held := map[string]bool{}
	have := map[uint64]string{}
	for i, e := range entries {
		if i > 0 && (e.Seq != entries[i-1].Seq+1 || e.Prev != entries[i-1].Hash) {
			return fmt.Errorf("entry %d does not follow entry %d", e.Seq, entries[i-1].Seq)
		}
		have[e.Seq] = e.Hash.String()
		nums, err := certNumbers(e.Record)
		if err != nil {
			return fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		for _, num := range nums {
			held[num] = true
		}
	}
	for seq, hash := range n.acked {
		if seq > n.checked && have[seq] != hash {
			return fmt.Errorf("acknowledged entry %d (hash %s) lost: store has %q", seq, hash, have[seq])
		}
	}
	for _, num := range n.newCerts {
		if !held[num] {
			return fmt.Errorf("acknowledged certificate %s is in none of the entries committed since the last check", num)
		}
	}
	n.newCerts = nil
	if len(entries) > 0 {
		last := entries[len(entries)-1]
		n.checked, n.checkedHash = last.Seq, last.Hash.String()
	}
	return nil
}

// checkAll reads back, through n's API, the whole of n's copy of other's
// feed: head entries, each with its record, holding every entry and every
// certificate other's API acknowledged. n's own entries and certificates
// were read back by checkNew: every import is acknowledged by the victim
// of a cycle before its checkNew. The calls may be slow: the copy is large
// after many cycles.
func checkAll(t *testing.T, n, other *crashNode, head int) {
	t.Helper()
	theirs := readFeed(t, n.api.withTimeout(2*time.Minute), other.code, 1)
	checkFeedEntries(t, other.code, theirs, head)
	checkHashes(t, other.code, theirs, other.acked)
	held := map[string]bool{}
	for _, e := range theirs {
		nums, err := certNumbers(e.Record)
		if err != nil {
			t.Fatalf("%s's copy of %s, entry %d: %v", n.code, other.code, e.Seq, err)
		}
		for _, num := range nums {
			held[num] = true
		}
	}
	for num := range other.certs {
		if !held[num] {
			t.Fatalf("%s: acknowledged certificate %s of %s missing from its copy", n.code, num, other.code)
		}
	}
	if len(n.newCerts) > 0 {
		t.Fatalf("%s: %d acknowledged certificates never read back", n.code, len(n.newCerts))
	}
}

// certNumbers returns the certificate numbers in a record: the items of a
// batch of certificates, else none.
func certNumbers(record json.RawMessage) ([]string, error) {
	var b struct {
		Type  string
		Items []struct{ Number string }
	}
	if len(record) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(record, &b); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if b.Type != "certificate" {
		return nil, nil
	}
	nums := make([]string, len(b.Items))
	for i, it := range b.Items {
		nums[i] = it.Number
	}
	return nums, nil
}

// phaseClock adds up the time a test spends in each of its phases.
type phaseClock struct {
	last  time.Time
	names []string // in order of first lap
	spent map[string]time.Duration
}

func newPhaseClock() *phaseClock {
	return &phaseClock{last: time.Now(), spent: map[string]time.Duration{}}
}

// lap adds the time since the previous lap to phase name.
func (c *phaseClock) lap(name string) {
	now := time.Now()
	if _, ok := c.spent[name]; !ok {
		c.names = append(c.names, name)
	}
	c.spent[name] += now.Sub(c.last)
	c.last = now
}

func (c *phaseClock) String() string {
	parts := make([]string, len(c.names))
	for i, name := range c.names {
		parts[i] = fmt.Sprintf("%s %.1f s", name, c.spent[name].Seconds())
	}
	return strings.Join(parts, ", ")
}
