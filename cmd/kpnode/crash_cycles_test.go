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

// defaultCrashCycles is how many SIGKILLs TestCrashCycles deals out,
// unless KPNODE_CRASH_CYCLES says otherwise (scripts/bench.sh sets it).
const defaultCrashCycles = 8

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

// TestCrashCycles runs two real daemons, IN and BE, pinned to each other,
// and kills one of them with SIGKILL crashCycleCount times at a random moment
// while it publishes notices and imports certificates; while it is down,
// the other appends entries it must catch up on. After each kill the
// victim's store must verify with the daemon stopped, every publish and
// import the API acknowledged must still be there (same seq, same hash,
// every certificate number), and the import the kill cut short must
// complete when sent again. At the end both nodes must hold each other's
// whole feed.
//
// The moments are drawn from a seeded math/rand: the seed is logged, and
// KPNODE_CRASH_SEED=N replays a run's choices (not its timing).
func TestCrashCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons and SIGKILLs them 8 times; skipped in -short mode")
	}
	crashCycles := crashCycleCount(t)
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	dir := t.TempDir()
	nodes := [2]*crashNode{
		{code: "IN", name: "India KP Authority", home: filepath.Join(dir, "in")},
		{code: "BE", name: "Belgian Diamond Office", home: filepath.Join(dir, "be")},
	}
	for _, n := range nodes {
		n.init(t, notice)
	}
	pinEachOther(t, dir, nodes[0].home, nodes[1].home)
	poll(t, 60*time.Second, "IN connected to BE", func() bool { return partnerOf(t, nodes[0].api, "BE").Connected })

	for cycle := range crashCycles {
		i := rng.IntN(2)
		victim, other := nodes[i], nodes[1-i]
		killAfter := time.Duration(100+rng.IntN(1400)) * time.Millisecond
		imports := victim.makeImports(rng, cycle, other.code)
		victim.workUntilKilled(t, other.code, imports, killAfter)
		// Catch-up: the other node appends while the victim is down.
		other.publish(t, other.api, victim.code, rng.IntN(150)+20)
		kpnode(t, "verify", "--home", victim.home)
		victim.start(t)
		victim.completeCut(t)
		victim.checkAcked(t, victim.api, victim.code)
		t.Logf("cycle %d: SIGKILL %s after %s; %s acknowledged %d entries, %d certificates so far; %d cut imports completed",
			cycle, victim.code, killAfter, victim.code, len(victim.acked), len(victim.certs), victim.cuts)
	}

	for _, n := range nodes {
		other := nodes[0]
		if n == other {
			other = nodes[1]
		}
		head := heldOf(t, other.api, other.code)
		poll(t, 120*time.Second, fmt.Sprintf("%s holds %s's whole feed (%d entries)", n.code, other.code, head),
			func() bool { return heldOf(t, n.api, other.code) == head })
		checkFeed(t, n.api, other.code, int(head))
		other.checkAcked(t, n.api, other.code)
		kpnode(t, "verify", "--home", n.home) // asks the running daemon
	}
	t.Logf("seed %d: %d SIGKILLs survived in %s; IN acknowledged %d entries (%d certificates), BE %d (%d); %d imports cut and completed",
		seed, crashCycles, time.Since(start).Round(time.Second), len(nodes[0].acked), len(nodes[0].certs),
		len(nodes[1].acked), len(nodes[1].certs), nodes[0].cuts+nodes[1].cuts)
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

	mu    sync.Mutex        // guards acked and certs while clients run
	acked map[uint64]string // own seq → hash, for every 2xx
	certs map[string]bool   // certificate numbers of acknowledged imports
	cut   *certImport       // the import in flight when the daemon died
	cuts  int               // imports cut by a kill and completed
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
