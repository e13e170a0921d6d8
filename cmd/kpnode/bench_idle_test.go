package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// The idle benchmark of issue 7, item 5: a node holding 60 connected
// partners idles under 1 % of a core and under 80 MB resident.
// scripts/bench.sh turns its metrics into a row of BENCHMARKS.md.

var idleWindow = flag.Duration("idle.window", 0, "how long BenchmarkIdle samples the daemon (default 30s, 2s with -short)")

// idlePartners is the number of partners the daemon holds in BenchmarkIdle.
const idlePartners = 60

// idleNets caches the network of BenchmarkIdle: set up once per test
// process, sampled by every run (-count); TestMain stops it.
var idleNets struct {
	mu       sync.Mutex
	net      *idleNet
	baseline idleSample // the daemon alone, before it pinned any partner
}

// idleNet is IN's daemon (a real kpnode run process) and its partners,
// node.Node instances in this process on loopback TCP.
type idleNet struct {
	dir      string // the temporary directory of the daemon's home
	daemon   *peerDaemon
	api      *apiClient
	partners []*node.Node
	stores   []*store.Store
}

// idleSample is what the daemon used over one window.
type idleSample struct {
	window time.Duration
	cpu    time.Duration
	maxRSS int64 // bytes, the largest VmRSS read during the window
}

// BenchmarkIdle samples a kpnode run daemon holding 60 partners, all
// connected and each holding the other's feed, while nothing is
// published: its CPU time (utime+stime from /proc/PID/stat) over the
// window as a percentage of one core, and its largest VmRSS. The baseline,
// measured in the same run, is the same daemon sampled before it pinned
// any partner.
func BenchmarkIdle(b *testing.B) {
	b.StopTimer()
	n, base := idleNetwork(b)
	var cpu, window time.Duration
	var rss int64
	for range b.N {
		b.StartTimer() // the window is the measurement: one is longer than -benchtime, so b.N stays 1
		s := sampleIdle(b, n.daemon, idleWindowSize())
		b.StopTimer()
		cpu, window, rss = cpu+s.cpu, window+s.window, max(rss, s.maxRSS)
	}
	b.ReportMetric(100*cpu.Seconds()/window.Seconds(), "cpu_pct")
	b.ReportMetric(float64(rss)/(1<<20), "rss_MB")
	b.ReportMetric(100*base.cpu.Seconds()/base.window.Seconds(), "alone_cpu_pct")
	b.ReportMetric(float64(base.maxRSS)/(1<<20), "alone_rss_MB")
	b.ReportMetric(idlePartners, "partners")
}

// idleWindowSize is the sampling window: the flag, else 2 s with -short,
// else 30 s. The daemon starts its periodic syncs together at a 30 s tick
// (docs/performance.md, "Idle with 60 partners"), so a window of 30 s holds one round of
// them wherever it starts, where a 15 s window held one or none and the
// runs scattered (make bench takes one window: SCALE_COUNT).
func idleWindowSize() time.Duration {
	switch {
	case *idleWindow > 0:
		return *idleWindow
	case testing.Short():
		return 2 * time.Second
	}
	return 30 * time.Second
}

// sampleIdle reads the daemon's CPU time at the start and the end of
// window and its VmRSS every second.
func sampleIdle(tb testing.TB, d *peerDaemon, window time.Duration) idleSample {
	pid := d.cmd.Process.Pid
	start, cpu0 := time.Now(), procCPU(pid)
	s := idleSample{maxRSS: procRSS(pid)}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.After(window)
	for {
		select {
		case <-d.done:
			tb.Fatalf("daemon exited while idle:\n%s", d.tail())
		case <-tick.C:
			s.maxRSS = max(s.maxRSS, procRSS(pid))
		case <-end:
			s.window, s.cpu = time.Since(start), procCPU(pid)-cpu0
			s.maxRSS = max(s.maxRSS, procRSS(pid))
			return s
		}
	}
}

// idleNetwork returns the cached network, setting it up on first use.
func idleNetwork(b *testing.B) (*idleNet, idleSample) {
	idleNets.mu.Lock()
	defer idleNets.mu.Unlock()
	if idleNets.net == nil {
		idleNets.net, idleNets.baseline = setUpIdle(b)
	}
	return idleNets.net, idleNets.baseline
}

// stopIdleNetwork stops the cached network, if any.
func stopIdleNetwork() {
	idleNets.mu.Lock()
	defer idleNets.mu.Unlock()
	if n := idleNets.net; n != nil {
		n.close(nil)
		idleNets.net = nil
	}
}

// setUpIdle starts IN's daemon, samples it alone, starts the partners,
// pins every partner on the daemon and the daemon on every partner, and
// waits until the network is connected, every partner's first entry is
// held by the daemon and the daemon's by every partner, and the receipt
// sessions that follow are over.
func setUpIdle(tb testing.TB) (*idleNet, idleSample) {
	dir, err := os.MkdirTemp("", "kpnode-bench-idle-")
	if err != nil {
		tb.Fatal(err)
	}
	n := &idleNet{dir: dir}
	ok := false
	defer func() {
		if !ok {
			n.close(tb)
		}
	}()
	home := filepath.Join(dir, "in")
	peerExec(tb, "init", "--participant", "IN", "--name", "India KP Authority", "--home", home, "--listen", peerListen(tb))
	n.daemon = startPeerDaemon(tb, home)
	n.api = waitAPI(tb, n.daemon)
	time.Sleep(17 * time.Second) // the daemon's start-up writes end, and Badger's compactors stop (see below)
	alone := sampleIdle(tb, n.daemon, idleWindowSize()/2)
	var card json.RawMessage
	if err := n.api.do("GET", "/api/card", nil, &card); err != nil {
		tb.Fatal(err)
	}
	for _, code := range partnerCodes(tb, "IN", idlePartners) {
		n.startPartner(tb, code, card)
	}
	n.exchange(tb)
	// Receipt sessions run a second after the pushes; Badger's compactors
	// stop 10 s after the last write, at a check every 5 s.
	time.Sleep(18 * time.Second)
	ok = true
	return n, alone
}

// startPartner starts a partner node for code, pins it on the daemon and
// pins the daemon's card on it.
func (n *idleNet) startPartner(tb testing.TB, code string, daemonCard []byte) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		tb.Fatal(err)
	}
	n.stores = append(n.stores, st)
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := node.DefaultConfig(code, "Authority "+code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	p, err := node.New(cfg, id, st, nil)
	if err == nil {
		err = p.Start(context.Background())
	}
	if err != nil {
		tb.Fatalf("partner %s: %v", code, err)
	}
	n.partners = append(n.partners, p)
	c, err := p.Card()
	if err == nil {
		_, err = p.AddPartner(daemonCard)
	}
	if err != nil {
		tb.Fatalf("partner %s: %v", code, err)
	}
	var pinned node.Partner
	if err := n.api.do("POST", "/api/partners", c.Bytes(), &pinned); err != nil {
		tb.Fatalf("IN pins %s: %v", code, err)
	}
}

// exchange has every partner publish a notice to IN and IN one to all,
// and waits until the daemon holds every partner's and every partner the
// daemon's: the connections and subscriptions are up.
func (n *idleNet) exchange(tb testing.TB) {
	body := noticeBody(tb)
	for _, p := range n.partners {
		if _, err := p.Publish(context.Background(), "notice", noticeBodyBy(tb, p.Participant()), []string{"IN"}); err != nil {
			tb.Fatal(err)
		}
	}
	var pub node.Published
	if err := n.api.do("POST", "/api/records/notice", publishRequest(body), &pub); err != nil {
		tb.Fatalf("IN publishes: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !n.exchanged(tb, pub.Seq) {
		if time.Now().After(deadline) {
			tb.Fatalf("the network did not connect within 2 minutes:\n%s", n.daemon.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exchanged reports whether the daemon holds every partner's first entry
// and every partner the daemon's entry seq.
func (n *idleNet) exchanged(tb testing.TB, seq uint64) bool {
	var s node.Status
	if err := n.api.do("GET", "/api/status", nil, &s); err != nil {
		tb.Fatal(err)
	}
	connected := 0
	for _, p := range s.Partners {
		if p.Connected && p.OurCopy >= 1 {
			connected++
		}
	}
	if connected < len(n.partners) {
		return false
	}
	inKey, err := crypto.PublicKeyFromPeerID(s.PeerID)
	if err != nil {
		tb.Fatal(err)
	}
	for _, st := range n.stores {
		h, err := st.Head(inKey)
		if err != nil {
			tb.Fatal(err)
		}
		if h.Seq < seq {
			return false
		}
	}
	return true
}

// publishRequest is the body of POST /api/records/notice to all.
func publishRequest(body []byte) []byte {
	return fmt.Appendf(nil, `{"to":[%q],"record":%s}`, node.AudienceAll, body)
}

// close stops the daemon and the partners; tb may be nil.
func (n *idleNet) close(tb testing.TB) {
	if n.daemon != nil {
		if tb != nil {
			n.daemon.stop(tb)
		} else {
			n.daemon.cmd.Process.Kill()
			<-n.daemon.done
		}
	}
	for _, p := range n.partners {
		p.Close()
	}
	for _, st := range n.stores {
		st.Close()
	}
	os.RemoveAll(n.dir)
}

// partnerCodes returns n valid node codes other than self.
func partnerCodes(tb testing.TB, self string, n int) []string {
	var codes []string
	for _, p := range protocol.Participants() {
		if len(codes) < n && p.Code != self && protocol.ValidCode(p.Code) {
			codes = append(codes, p.Code)
		}
	}
	if len(codes) < n {
		tb.Fatalf("%d valid participant codes, want %d", len(codes), n)
	}
	return codes
}
