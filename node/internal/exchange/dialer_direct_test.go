package exchange

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

// relayedOnly is a dialTarget whose partner is linked through a relay and
// becomes reachable directly at the direct dial numbered reachableAt.
type relayedOnly struct {
	mu          sync.Mutex
	direct      []time.Time
	dials       int
	reachableAt int
}

func (r *relayedOnly) connected(peer.ID) bool { return true }

func (r *relayedOnly) relayed(peer.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.direct) < r.reachableAt
}

func (r *relayedOnly) connect(context.Context, peer.ID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dials++
	return nil
}

func (r *relayedOnly) connectDirect(context.Context, peer.ID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.direct = append(r.direct, time.Now())
	if len(r.direct) < r.reachableAt {
		return errors.New("connection refused")
	}
	return nil
}

// TestDialerRetriesDirectWhileRelayed: a partner linked only through a
// relay is dialled directly, first minDirectBackoff after the link is
// seen, then at doubling intervals up to maxDirectBackoff, and no more
// once the direct link exists; the relayed link itself is never re-dialled.
func TestDialerRetriesDirectWhileRelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p peer.ID = "partner"
		r := &relayedOnly{reachableAt: 6}
		d := newDialer(r, func() []peer.ID { return []peer.ID{p} }, func(peer.ID) bool { return true }, slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		start := time.Now()
		go func() { defer close(done); d.loop(ctx) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		cancel()
		<-done
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.dials != 0 {
			t.Errorf("%d ordinary dials of a linked partner, want none", r.dials)
		}
		if len(r.direct) != r.reachableAt {
			t.Fatalf("%d direct dials in an hour, want %d (the last one succeeding, then none)", len(r.direct), r.reachableAt)
		}
		prev, want := start, minDirectBackoff
		for i, at := range r.direct {
			if i > 0 {
				want = min(2*want, maxDirectBackoff)
			}
			if gap := at.Sub(prev); gap < want || gap > want+dialTick {
				t.Errorf("direct dial %d came %v after the one before, want %v to %v", i, gap, want, want+dialTick)
			}
			prev = at
		}
	})
}

// TestConnectDirectUpgradesRelayedLink: with real hosts, a link through a
// relay stays relayed however often it is connected the ordinary way, and
// the dialer's direct dial makes it a direct one.
func TestConnectDirectUpgradesRelayedLink(t *testing.T) {
	relay := newPlainHost(t, libp2p.EnableRelayService(), libp2p.ForceReachabilityPublic())
	a, b := newPlainHost(t), newPlainHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := client.Reserve(ctx, b, peer.AddrInfo{ID: relay.ID(), Addrs: relay.Addrs()}); err != nil {
		t.Fatalf("reserve: %v", err)
	}
	circuit, err := ma.NewMultiaddr(relay.Addrs()[0].String() + "/p2p/" + relay.ID().String() + "/p2p-circuit")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: []ma.Multiaddr{circuit}}); err != nil {
		t.Fatalf("connect through the relay: %v", err)
	}
	target := hostTarget{h: a, partners: nobody{}}
	if !target.relayed(b.ID()) {
		t.Fatalf("a to b: %s, want relayed", a.Network().Connectedness(b.ID()))
	}
	a.Peerstore().AddAddrs(b.ID(), b.Addrs(), peerstore.PermanentAddrTTL) // b became reachable
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID()}); err != nil || !target.relayed(b.ID()) {
		t.Fatalf("ordinary connect: %v, %s; want it to keep the relayed link", err, a.Network().Connectedness(b.ID()))
	}
	if err := target.connectDirect(ctx, b.ID()); err != nil {
		t.Fatalf("direct dial: %v", err)
	}
	if got := a.Network().Connectedness(b.ID()); got != network.Connected {
		t.Fatalf("after the direct dial a to b is %s, want connected", got)
	}
}

// nobody is a reach.Partners with no partners.
type nobody struct{}

func (nobody) Peers() []peer.ID    { return nil }
func (nobody) Admits(peer.ID) bool { return false }

func newPlainHost(t *testing.T, opts ...libp2p.Option) host.Host {
	t.Helper()
	opts = append([]libp2p.Option{libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0")}, opts...)
	h, err := libp2p.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}
