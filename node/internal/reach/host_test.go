package reach

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
		goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"),
		goleak.IgnoreAnyFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
	)
}

// pinned is a fixed set of partners, the seam the node fills from its
// roster.
type pinned struct {
	mu    sync.Mutex // guards peers
	peers []peer.ID
}

func (p *pinned) Peers() []peer.ID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.peers)
}

func (p *pinned) Admits(id peer.ID) bool { return slices.Contains(p.Peers(), id) }

func (p *pinned) remove(id peer.ID) {
	p.mu.Lock()
	p.peers = slices.DeleteFunc(p.peers, func(q peer.ID) bool { return q == id })
	p.mu.Unlock()
}

func (p *pinned) add(ids ...peer.ID) {
	p.mu.Lock()
	p.peers = append(p.peers, ids...)
	p.mu.Unlock()
}

var loopback = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}

// newTestHost is a real libp2p host with reach's options for cfg on
// listen, closed at the end of the test.
func newTestHost(t *testing.T, cfg Config, listen []string, partners Partners) host.Host {
	t.Helper()
	h, err := buildHost(cfg, listen, partners)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func buildHost(cfg Config, listen []string, partners Partners) (host.Host, error) {
	opts, err := HostOptions(cfg, listen, nil, partners)
	if err != nil {
		return nil, err
	}
	return libp2p.New(append(withTransports(opts), libp2p.ListenAddrStrings(listen...), libp2p.DisableMetrics())...)
}

func connectTo(t *testing.T, a, b host.Host, addrs ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ai := peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}
	if addrs != nil {
		ai.Addrs = nil
		for _, s := range addrs {
			ai.Addrs = append(ai.Addrs, mustAddr(t, s))
		}
	}
	return a.Connect(ctx, ai)
}

func testContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// withTransports adds to opts the TCP (without SO_REUSEPORT) and QUIC
// transports the exchange's host has: HostOptions adds to them.
func withTransports(opts []libp2p.Option) []libp2p.Option {
	return append([]libp2p.Option{
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(quic.NewTransport),
	}, opts...)
}
