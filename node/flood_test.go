package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	lpcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/quic-go/quic-go"
)

// multistreamHello is what a libp2p dialer sends first on a raw TCP
// connection: the multistream-select header (length-prefixed).
var multistreamHello = []byte("\x13/multistream/1.0.0\n")

// noiseProposal is the header followed by the proposal of the Noise
// security protocol and the first two bytes of a Noise message that never
// comes: a connection that stalls inside the security handshake.
var noiseProposal = append(append([]byte(nil), multistreamHello...), []byte("\x07/noise\n\x00\x20")...)

// halfOpenFlood holds n TCP connections to a victim's TCP address, each
// sending prefix and nothing more, from the given loopback source
// addresses in turn. When the victim closes one, its worker opens another
// after a pause: the victim never gets its slots back for long.
type halfOpenFlood struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	opened atomic.Int64 // connections the victim accepted
	closed atomic.Int64 // connections the victim closed

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

// floodPause is how long a flood worker waits after the victim closed its
// connection before opening the next: a bound on the accept churn on a
// shared 2-core machine, short against the time partners get to connect.
// refusedPause is the wait after a refused dial (the victim is down): a
// victim that restarts finds its transient scope full again within
// milliseconds of listening, before its partners' dials arrive.
const (
	floodPause   = 500 * time.Millisecond
	refusedPause = 50 * time.Millisecond
)

func startFlood(t testing.TB, victim *Node, srcs []string, n int, prefix []byte) *halfOpenFlood {
	t.Helper()
	target := tcpAddrOf(t, victim)
	f := &halfOpenFlood{stop: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	for i := range n {
		src := &net.TCPAddr{IP: net.ParseIP(srcs[i%len(srcs)])}
		f.wg.Go(func() { f.worker(target, src, prefix) })
	}
	t.Cleanup(f.end)
	return f
}

func (f *halfOpenFlood) worker(target string, src *net.TCPAddr, prefix []byte) {
	d := net.Dialer{LocalAddr: src, Timeout: 2 * time.Second}
	for {
		select {
		case <-f.stop:
			return
		default:
		}
		pause := refusedPause
		if c, err := d.Dial("tcp", target); err == nil && f.track(c) {
			f.opened.Add(1)
			c.Write(prefix)
			io.Copy(io.Discard, c) // until the victim closes it, or end
			f.closed.Add(1)
			f.untrack(c)
			pause = floodPause
		}
		select {
		case <-f.stop:
			return
		case <-time.After(pause):
		}
	}
}

// track registers c, or closes it when the flood has ended.
func (f *halfOpenFlood) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *halfOpenFlood) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

// end stops the flood, closes its connections and waits for its workers.
// It may be called more than once.
func (f *halfOpenFlood) end() {
	f.mu.Lock()
	if f.conns == nil {
		f.mu.Unlock()
		return
	}
	close(f.stop)
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
	f.wg.Wait()
}

// tcpAddrOf returns victim's TCP listen address as host:port.
func tcpAddrOf(t testing.TB, victim *Node) string {
	t.Helper()
	for _, a := range victim.ex.Host().Addrs() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err != nil {
			continue
		}
		na, err := manet.ToNetAddr(a)
		if err == nil {
			return na.String()
		}
	}
	t.Fatal("the victim listens on no TCP address")
	return ""
}

// loopbacks returns the loopback addresses 127.0.0.first to 127.0.0.last:
// on Linux all of 127.0.0.0/8 is local, so a test can connect from many
// source addresses. Partners in tests use 127.0.0.1.
func loopbacks(first, last int) []string {
	var out []string
	for i := first; i <= last; i++ {
		out = append(out, fmt.Sprintf("127.0.0.%d", i))
	}
	return out
}

// saturated waits until the flood fills victim's transient scope (the
// resource manager's slots for connections whose peer is not yet known):
// without a defence, nobody else could connect now.
func saturated(t testing.TB, victim *Node) {
	t.Helper()
	eventually(t, 20*time.Second, victim.Participant()+"'s transient scope is full", func() error {
		return victim.ex.Host().Network().ResourceManager().ViewTransient(func(s network.ResourceScope) error {
			l, ok := s.(rcmgr.ResourceScopeLimiter)
			if !ok {
				return errors.New("the transient scope shows no limits")
			}
			st, lim := s.Stat(), l.Limit()
			if st.NumConnsInbound < lim.GetConnLimit(network.DirInbound) && st.NumFD < lim.GetFDLimit() {
				return fmt.Errorf("%d of %d inbound connections, %d of %d descriptors",
					st.NumConnsInbound, lim.GetConnLimit(network.DirInbound), st.NumFD, lim.GetFDLimit())
			}
			return nil
		})
	})
}

// stayConnected checks that a and b are connected, and stay connected
// for d, sampled every 50 ms.
func stayConnected(t testing.TB, a, b *Node, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if a.ex.Host().Network().Connectedness(b.ex.Host().ID()) != network.Connected {
			t.Fatalf("%s and %s were disconnected during the flood", a.Participant(), b.Participant())
		}
	}
}

// floodScenarios are the flood's sources and what each connection sends:
// the multistream header from one address other than the partners', and
// from 250 addresses; a proposal of Noise and the start of a Noise
// message, from 250.
var floodScenarios = []struct {
	name   string
	srcs   []string
	prefix []byte
}{
	{"one_address", []string{"127.0.0.2"}, multistreamHello},
	{"many_addresses", loopbacks(2, 251), multistreamHello},
	{"stalled_in_noise", loopbacks(2, 251), noiseProposal},
}

// floodN is the number of half-open connections held against each node.
const floodN = 500

// TestPartnersConnectDuringHalfOpenFlood: two pinned partners connect, and
// stay connected, while strangers hold 500 half-open TCP connections to
// each of them (floodScenarios); the flood fills both nodes' transient
// scopes first.
func TestPartnersConnectDuringHalfOpenFlood(t *testing.T) {
	for _, sc := range floodScenarios {
		t.Run(sc.name, func(t *testing.T) {
			in, be := testNode(t, "IN"), testNode(t, "BE")
			startFlood(t, in, sc.srcs, floodN, sc.prefix)
			startFlood(t, be, sc.srcs, floodN, sc.prefix)
			saturated(t, in)
			saturated(t, be)
			pin(t, in, be)
			pin(t, be, in)
			if !connectedWithin(in, be, 15*time.Second, true) {
				t.Fatal("the partners did not connect within 15 s under the flood")
			}
			stayConnected(t, in, be, 2*time.Second)
			stillServed(t, in, be, 1)
		})
	}
}

// TestPartnersStayConnectedWhenFloodBegins: partners already connected
// stay connected when the flood begins, and keep exchanging entries.
func TestPartnersStayConnectedWhenFloodBegins(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	if !connectedWithin(in, be, 15*time.Second, true) {
		t.Fatal("the partners did not connect")
	}
	startFlood(t, in, loopbacks(2, 251), floodN, multistreamHello)
	startFlood(t, be, loopbacks(2, 251), floodN, multistreamHello)
	saturated(t, in)
	saturated(t, be)
	stayConnected(t, in, be, 2*time.Second)
	stillServed(t, in, be, 1)
	stillServed(t, be, in, 1)
}

// TestStalledHandshakeClosed: connections that send the multistream
// header, or propose Noise and then stall inside the security handshake,
// are closed by the node at its handshake deadline (go-libp2p alone keeps
// them 15 s). The deadline is shortened to 1 s for the test.
func TestStalledHandshakeClosed(t *testing.T) {
	const timeout = time.Second
	in := testNodeWith(t, "IN", func(n *Node) { n.ex.Tune(exchange.Tuning{HandshakeTimeout: timeout}) })
	d0 := countersOf(in)
	var wg sync.WaitGroup
	for _, prefix := range [][]byte{multistreamHello, noiseProposal} {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", tcpAddrOf(t, in))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { closedWithinDeadline(t, c, prefix, timeout) })
	}
	wg.Wait()
	d0.grows(t, "inbound_handshake_timeouts", 2)
	if n := in.ex.HandshakesInFlight(); n != 0 {
		t.Fatalf("%d handshake deadlines still pending", n)
	}
}

// closedWithinDeadline writes prefix on c and checks that the node closes
// c at its handshake deadline (timeout), with 5 s of slack for a loaded
// machine.
func closedWithinDeadline(t *testing.T, c net.Conn, prefix []byte, timeout time.Duration) {
	defer c.Close()
	start := time.Now()
	c.Write(prefix)
	c.SetReadDeadline(start.Add(timeout + 5*time.Second))
	_, err := io.Copy(io.Discard, c)
	if isTimeout(err) {
		t.Errorf("after %q the node kept the connection open for more than %s", prefix, timeout+5*time.Second)
	} else if took := time.Since(start); took < timeout/2 {
		t.Errorf("after %q the node closed the connection after %s, before the handshake deadline", prefix, took)
	}
}

// TestStrangerWithKeyHoldsNothing: a stranger that completes the
// handshake again and again is refused each time and holds no connection,
// and the node's transient scope empties.
func TestStrangerWithKeyHoldsNothing(t *testing.T) {
	in := testNode(t, "IN")
	d0 := countersOf(in)
	stranger := strangerHost(t)
	target := peer.AddrInfo{ID: in.ex.Host().ID(), Addrs: in.ex.Host().Addrs()}
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stranger.Connect(ctx, target) // may return nil: the node closes it after the handshake
		cancel()
		stranger.Network().ClosePeer(in.ex.Host().ID())
	}
	eventually(t, 20*time.Second, "the stranger holds nothing at the node", func() error {
		if cs := in.ex.Host().Network().ConnsToPeer(stranger.ID()); len(cs) > 0 {
			return fmt.Errorf("%d connections to the stranger", len(cs))
		}
		if n := in.ex.HandshakesInFlight(); n != 0 {
			return fmt.Errorf("%d handshake deadlines pending", n)
		}
		return in.ex.Host().Network().ResourceManager().ViewTransient(func(s network.ResourceScope) error {
			if st := s.Stat(); st.NumConnsInbound > 0 {
				return fmt.Errorf("%d inbound connections in the transient scope", st.NumConnsInbound)
			}
			return nil
		})
	})
	d0.grows(t, "inbound_refused", 20)
}

// strangerHost is a libp2p host with a key no node pins, dialling over TCP.
func strangerHost(t testing.TB) host.Host {
	t.Helper()
	priv, _, err := lpcrypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(priv), libp2p.NoListenAddrs,
		libp2p.Transport(tcp.NewTCPTransport), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// TestPartnersConnectDuringQUICFlood: two partners reachable over QUIC
// only connect, and stay connected, while strangers keep 100 QUIC
// handshakes open against each (a ClientHello, then no answer to the
// node's), from 50 addresses, their transient scopes full.
func TestPartnersConnectDuringQUICFlood(t *testing.T) {
	quicOnly := func(n *Node) { n.cfg.Listen = []string{"/ip4/127.0.0.1/udp/0/quic-v1"} }
	in, be := testNodeWith(t, "IN", quicOnly), testNodeWith(t, "BE", quicOnly)
	// Each QUIC handshake costs the attacker and the node TLS work: under
	// the race detector on a loaded 2-core machine 500 handshakes filled
	// 18 of 79 slots in 20 s and starved the partners' own handshakes of
	// CPU. A transient scope of 8 inbound connections is full within
	// seconds of 100; the partners still need the allowlist. (With 16,
	// the nodes under the race detector and 2 busy loops on 2 cores
	// handled the ClientHellos too slowly to hold more than 10 at once
	// for 20 s: the test failed before its partners dialled.)
	lowerTransient(t, in, 8)
	lowerTransient(t, be, 8)
	startQUICFlood(t, in, loopbacks(2, 51), 100)
	startQUICFlood(t, be, loopbacks(2, 51), 100)
	saturated(t, in)
	saturated(t, be)
	pin(t, in, be)
	pin(t, be, in)
	if !connectedWithin(in, be, 15*time.Second, true) {
		t.Fatal("the partners did not connect within 15 s under the QUIC flood")
	}
	stayConnected(t, in, be, 2*time.Second)
	stillServed(t, in, be, 1)
}

// lowerTransient limits n's transient scope to in inbound connections.
func lowerTransient(t testing.TB, n *Node, in int) {
	t.Helper()
	err := n.ex.Host().Network().ResourceManager().ViewTransient(func(s network.ResourceScope) error {
		l, ok := s.(rcmgr.ResourceScopeLimiter)
		if !ok {
			return errors.New("the transient scope takes no limits")
		}
		l.SetLimit(inboundLimit{Limit: l.Limit(), in: in})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// inboundLimit is a Limit with in inbound connections at most.
type inboundLimit struct {
	rcmgr.Limit
	in int
}

func (l inboundLimit) GetConnLimit(dir network.Direction) int {
	if dir == network.DirInbound {
		return min(l.in, l.Limit.GetConnLimit(dir))
	}
	return l.Limit.GetConnLimit(dir)
}

// startQUICFlood keeps n QUIC handshakes open against victim's QUIC
// address: each worker sends a ClientHello from a fresh UDP socket on one
// of srcs and never reads the answer, so the node holds the connection
// until its handshake idle timeout; then the worker starts another.
func startQUICFlood(t testing.TB, victim *Node, srcs []string, n int) {
	t.Helper()
	target := quicAddrOf(t, victim)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		src := &net.UDPAddr{IP: net.ParseIP(srcs[i%len(srcs)])}
		wg.Go(func() { quicWorker(ctx, target, src) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func quicWorker(ctx context.Context, target, src *net.UDPAddr) {
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"libp2p"}}
	for ctx.Err() == nil {
		if pc, err := net.ListenUDP("udp4", src); err == nil {
			dctx, cancel := context.WithTimeout(ctx, exchange.HandshakeTimeout)
			if c, err := quic.Dial(dctx, deafConn{pc}, target, tlsConf, &quic.Config{}); err == nil {
				c.CloseWithError(0, "")
			}
			cancel()
			pc.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(floodPause):
		}
	}
}

// deafConn drops every packet it receives: a QUIC client that never
// hears the server's handshake.
type deafConn struct{ net.PacketConn }

func (d deafConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		if _, _, err := d.PacketConn.ReadFrom(b); err != nil {
			return 0, nil, err
		}
	}
}

// quicAddrOf returns victim's QUIC listen address.
func quicAddrOf(t testing.TB, victim *Node) *net.UDPAddr {
	t.Helper()
	for _, a := range victim.ex.Host().Addrs() {
		if _, err := a.ValueForProtocol(ma.P_QUIC_V1); err != nil {
			continue
		}
		host, _ := a.ValueForProtocol(ma.P_IP4)
		port, _ := a.ValueForProtocol(ma.P_UDP)
		if ua, err := net.ResolveUDPAddr("udp4", net.JoinHostPort(host, port)); err == nil {
			return ua
		}
	}
	t.Fatal("the victim listens on no QUIC address")
	return nil
}

// TestPartnerRestartsDuringFlood: a partner that restarts while both nodes
// are flooded (its own transient scope full again as soon as it listens)
// is connected again within a bounded time (BenchmarkReconnectUnderFlood
// measures it).
func TestPartnerRestartsDuringFlood(t *testing.T) {
	in := testNode(t, "IN")
	be := newRestartable(t, "BE")
	pin(t, in, be.n)
	pin(t, be.n, in)
	reconnected(t, in, be.n, 15*time.Second)
	startFlood(t, in, loopbacks(2, 251), floodN, multistreamHello)
	startFlood(t, be.n, loopbacks(2, 251), floodN, multistreamHello)
	saturated(t, in)
	saturated(t, be.n)
	be.restart(t, in, restartDown, 15*time.Second)
	stillServed(t, in, be.n, 1)
}
