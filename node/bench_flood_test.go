package node

import (
	"context"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
)

// BenchmarkReconnectUnderFlood measures how long a partner (BE) takes,
// from the start of its restart (after restartDown down) until both nodes
// see the connection, when IN and BE face no flood (the baseline), while
// strangers hold 500 half-open TCP connections from 250 loopback
// addresses against each of them (their transient scopes full), and just
// after such a flood ended (it ran while BE was down). Each run restarts
// BE on the same addresses with its disk store, as an operator restarts a
// daemon. scripts/bench.sh puts the figures in the "Attacks" section of
// BENCHMARKS.md.
func BenchmarkReconnectUnderFlood(b *testing.B) {
	var base, during, after time.Duration
	for range b.N {
		in := testNode(b, "IN")
		be := newRestartable(b, "BE")
		pin(b, in, be.n)
		pin(b, be.n, in)
		reconnected(b, in, be.n, 30*time.Second)

		base += be.restart(b, in, restartDown, 30*time.Second)

		floods := []*halfOpenFlood{
			startFlood(b, in, loopbacks(2, 251), floodN, multistreamHello),
			startFlood(b, be.n, loopbacks(2, 251), floodN, multistreamHello),
		}
		saturated(b, in)
		saturated(b, be.n)
		during += be.restart(b, in, restartDown, 30*time.Second)

		be.stop()
		time.Sleep(restartDown) // deliberate: the flood runs while BE is down
		for _, f := range floods {
			f.end()
		}
		after += be.restart(b, in, 0, 30*time.Second)
	}
	n := float64(b.N)
	b.ReportMetric(ms1(base)/n, "base_ms")
	b.ReportMetric(ms1(during)/n, "flood_ms")
	b.ReportMetric(ms1(after)/n, "after_flood_ms")
	b.ReportMetric(float64(during)/float64(base), "flood/base")
}

// restartDown is how long a restarting partner stays down: long enough
// for the flood to be back at full strength against it when it starts
// (the flood's workers retry a refused dial every 50 ms), and for its
// partner's dialer to be in its backoff.
const restartDown = 2 * time.Second

// restartable is a node on a disk store that keeps its identity and its
// listen addresses across restarts.
type restartable struct {
	code string
	id   *crypto.Identity
	dir  string
	cfg  Config
	st   *store.Store
	n    *Node
}

func newRestartable(tb testing.TB, code string) *restartable {
	tb.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	r := &restartable{code: code, id: id, dir: tb.TempDir(), cfg: DefaultConfig(code, "Authority "+code)}
	r.cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	tb.Cleanup(r.stop)
	r.start(tb)
	r.cfg.Listen = nil
	for _, a := range r.n.ex.Host().Addrs() {
		r.cfg.Listen = append(r.cfg.Listen, a.String()) // the ports it got, kept
	}
	return r
}

func (r *restartable) start(tb testing.TB) {
	tb.Helper()
	st, err := store.Open(store.Options{Dir: r.dir})
	if err != nil {
		tb.Fatal(err)
	}
	n, err := New(r.cfg, r.id, st, nil)
	if err == nil {
		err = n.Start(context.Background())
	}
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	r.st, r.n = st, n
}

// stop closes the node and its store; it is a no-op when stopped.
func (r *restartable) stop() {
	if r.n == nil {
		return
	}
	r.n.Close()
	r.st.Close()
	r.n, r.st = nil, nil
}

// restart stops the node if it runs, keeps it down for down (a daemon's
// restart takes time, and a flood goes on meanwhile), starts it again and
// returns the time from the start until it and partner are connected,
// which must be within d.
func (r *restartable) restart(tb testing.TB, partner *Node, down, d time.Duration) time.Duration {
	tb.Helper()
	r.stop()
	time.Sleep(down) // deliberate: the node is down this long
	start := time.Now()
	r.start(tb)
	reconnected(tb, partner, r.n, d)
	return time.Since(start)
}

// reconnected waits, polling every 5 ms, until a and b both see their
// connection, within d.
func reconnected(tb testing.TB, a, b *Node, d time.Duration) {
	tb.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if a.ex.Host().Network().Connectedness(b.ex.Host().ID()) == network.Connected &&
			b.ex.Host().Network().Connectedness(a.ex.Host().ID()) == network.Connected {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s and %s not connected within %s", a.Participant(), b.Participant(), d)
		}
	}
}
