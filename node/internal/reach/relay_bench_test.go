package reach

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
)

const benchProto = "/kpnode-test/pull/1"

// BenchmarkRelayedStream measures, in the same run, what a circuit
// through a partner's relay costs a sync-like session against a direct
// connection on loopback: a stream opened, 100 round trips of a 64-byte
// want answered by a 1 KiB entry, then 256 KiB sent in 16 KiB writes and
// acknowledged. It reports each session in microseconds and
// relayed/direct.
func BenchmarkRelayedStream(b *testing.B) {
	w := newBenchWorld(b)
	connectOrFail(b, w.a, w.b, directListenB(b, w.b))
	connectOrFail(b, w.a, w.c, circuitTo(w.r, w.c))
	var d, r time.Duration
	b.ResetTimer()
	for range b.N {
		d += session(b, w.a, w.b)
		r += session(b, w.a, w.c)
	}
	b.ReportMetric(float64(d.Microseconds())/float64(b.N), "direct_us")
	b.ReportMetric(float64(r.Microseconds())/float64(b.N), "relayed_us")
	b.ReportMetric(float64(r)/float64(d), "relayed/direct")
}

// benchWorld: a reaches b directly and c only through relay r.
type benchWorld struct{ r, a, b, c host.Host }

func newBenchWorld(b *testing.B) benchWorld {
	rp := &pinned{}
	w := benchWorld{r: buildOrFail(b, rp), a: buildOrFail(b, &pinned{}), b: buildOrFail(b, &pinned{}), c: buildOrFail(b, &pinned{})}
	rp.add(w.a.ID(), w.c.ID())
	for _, h := range []host.Host{w.b, w.c} {
		h.SetStreamHandler(benchProto, servePull)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := clientReserve(ctx, w.c, w.r); err != nil {
		b.Fatal(err)
	}
	return w
}

func buildOrFail(b *testing.B, p *pinned) host.Host {
	h, err := buildHost(DefaultConfig(), loopback, p)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

func directListenB(b *testing.B, h host.Host) string {
	for _, a := range h.Network().ListenAddresses() {
		if !IsCircuit(a) {
			return a.String() + "/p2p/" + h.ID().String()
		}
	}
	b.Fatal("no direct address")
	return ""
}

// servePull answers each 64-byte want with 1 KiB, then echoes the bulk
// phase with one byte.
func servePull(s network.Stream) {
	defer s.Close()
	want, entry := make([]byte, 64), make([]byte, 1024)
	for range 100 {
		if _, err := io.ReadFull(s, want); err != nil {
			return
		}
		if _, err := s.Write(entry); err != nil {
			return
		}
	}
	buf := make([]byte, 16<<10)
	for range bulkWrites {
		if _, err := io.ReadFull(s, buf); err != nil {
			return
		}
	}
	s.Write([]byte{1})
}

func connectOrFail(b *testing.B, from, to host.Host, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ai, err := peer.AddrInfoFromString(addr)
	if err != nil {
		b.Fatal(err)
	}
	if err := from.Connect(ctx, *ai); err != nil {
		b.Fatal(err)
	}
}

// session runs one pull session from a to p and returns its duration.
func session(b *testing.B, a, p host.Host) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	s, err := a.NewStream(network.WithAllowLimitedConn(ctx, "bench"), p.ID(), benchProto)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(30 * time.Second))
	want, entry := make([]byte, 64), make([]byte, 1024)
	for range 100 {
		if _, err := s.Write(want); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(s, entry); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 16<<10)
	for range bulkWrites {
		if _, err := s.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := io.ReadFull(s, buf[:1]); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func clientReserve(ctx context.Context, h, relay host.Host) (*client.Reservation, error) {
	return client.Reserve(ctx, h, peer.AddrInfo{ID: relay.ID(), Addrs: relay.Addrs()})
}

// bulkWrites of 16 KiB end a session: 256 KiB, so that a run of 20
// sessions stays within one circuit's RelayDataLimit (16 MiB; past it the
// relay resets the circuit, as it should).
const bulkWrites = 16
