package exchange

import (
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/libp2p/go-libp2p"
	lpcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// newHost builds the node's libp2p host, not listening yet (Start
// listens): its own Ed25519 key as peer identity, TCP (without
// SO_REUSEPORT: a second daemon on a taken port fails instead of sharing
// it) and QUIC, no relay, the partner gater, a resource manager whose
// allowlist follows the partners (allow), yamux measuring round trips less
// often (see muxer), and direct addresses dialled before relayed ones;
// then extra, the node's further options (reach.HostOptions: WebSocket,
// relays, hole punching, NAT), which may enable the relay.
func newHost(id *crypto.Identity, g *gater, allow *partnerAllowlist, userAgent string, extra []libp2p.Option) (host.Host, error) {
	priv, err := lpcrypto.UnmarshalEd25519PrivateKey(id.Ed25519())
	if err != nil {
		return nil, fmt.Errorf("load peer key: %w", err)
	}
	rm, err := newResourceManager()
	if err != nil {
		return nil, fmt.Errorf("build resource manager: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.NoListenAddrs,
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()), // reach: SO_REUSEPORT off
		libp2p.Transport(quic.NewTransport),
		libp2p.ConnectionGater(g),
		libp2p.ResourceManager(rm),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.UserAgent(userAgent),
		libp2p.SwarmOpts(swarm.WithDialRanker(reach.RelaysLast(tcpFirst))), // reach: relays after direct addresses
		libp2p.Muxer(yamux.ID, muxer()),
	}
	h, err := libp2p.New(append(opts, extra...)...) // reach: transports, relay, NAT (node/internal/reach)
	if err != nil {
		rm.Close()
		return nil, err
	}
	allow.use(rcmgr.GetAllowlist(rm))
	return h, nil
}

// newResourceManager is go-libp2p's default resource manager (its
// default limits scaled to the machine's memory and file descriptors,
// limits per IP address and per subnet, loopback exempt), reporting to
// libp2p's metrics ([RegisterResourceMetrics]). It is built here only so
// that the node can keep its allowlist: the default one is not reachable
// through the host.
func newResourceManager() (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
}

// rttInterval is how often yamux measures a TCP connection's round trip
// (its default is 30 s).
const rttInterval = 5 * time.Minute

// muxer is libp2p's yamux transport with round trips measured every
// rttInterval. Yamux pings each connection from both ends every
// MeasureRTTInterval only to size the growth of its stream windows; with
// 60 partners its default made 4 pings a second, each waking the sender,
// the receiver and the sender again. A round trip measured at connection
// time and every few minutes serves the window as well between fixed
// partners. Keep-alives (a ping after 30 s without traffic, closing the
// connection when unanswered) are unchanged.
func muxer() *yamux.Transport {
	t := *yamux.DefaultTransport
	t.MeasureRTTInterval = rttInterval
	return &t
}

// quicFallbackDelay is how long a dial waits for TCP before trying QUIC.
const quicFallbackDelay = time.Second

// tcpFirst ranks a partner's addresses for dialling: TCP at once, QUIC
// only if TCP has not connected within quicFallbackDelay. Between a few
// partners TCP (Noise, yamux) is the steadier transport: in the 10-node
// latency benchmark QUIC's user-space stack put the p99 at 35-115 ms
// against 14-23 ms over TCP (go test -bench Latency ./node/).
func tcpFirst(addrs []ma.Multiaddr) []network.AddrDelay {
	out := make([]network.AddrDelay, 0, len(addrs))
	for _, a := range addrs {
		d := time.Duration(0)
		if _, err := a.ValueForProtocol(ma.P_TCP); err != nil {
			d = quicFallbackDelay
		}
		out = append(out, network.AddrDelay{Addr: a, Delay: d})
	}
	return out
}

// listenAddrs parses the listen multiaddrs; Config validation already
// refused malformed ones, and any left are skipped.
func listenAddrs(listen []string) []ma.Multiaddr {
	out := make([]ma.Multiaddr, 0, len(listen))
	for _, s := range listen {
		if a, err := ma.NewMultiaddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// hostAddrs are h's addresses, each with its peer ID.
func hostAddrs(h host.Host) []string {
	id := h.ID().String()
	var out []string
	for _, a := range h.Addrs() {
		out = append(out, a.String()+"/p2p/"+id)
	}
	return out
}
