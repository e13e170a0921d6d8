package node

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
	ma "github.com/multiformats/go-multiaddr"
)

// newHost builds the node's libp2p host: its own Ed25519 key as peer
// identity, the partner gater, a resource manager whose allowlist follows
// the partners (allow), and yamux measuring round trips less often (see
// muxer). reachOpts are the transports, relay and NAT options
// (reach.HostOptions).
func newHost(id *crypto.Identity, listen []string, g *gater, allow *partnerAllowlist, reachOpts []libp2p.Option) (host.Host, error) {
	priv, err := lpcrypto.UnmarshalEd25519PrivateKey(id.Ed25519())
	if err != nil {
		return nil, fmt.Errorf("load peer key: %w", err)
	}
	rm, err := newResourceManager()
	if err != nil {
		return nil, fmt.Errorf("build resource manager: %w", err)
	}
	h, err := libp2p.New(append(reachOpts, // reach: transports, relay, NAT (node/internal/reach)
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings(listen...),
		libp2p.ConnectionGater(g),
		libp2p.ResourceManager(rm),
		libp2p.DisableMetrics(),
		libp2p.UserAgent("kpnode/"+Version),
		libp2p.SwarmOpts(swarm.WithDialRanker(reach.RelaysLast(tcpFirst))), // reach: relays after direct addresses
		libp2p.Muxer(yamux.ID, muxer()),
	)...)
	if err != nil {
		rm.Close()
		return nil, err
	}
	if err := reach.CheckListening(h, listen); err != nil { // reach: a taken port is an error
		h.Close()
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

func hostAddrs(h host.Host) []string {
	if h == nil {
		return nil
	}
	id := h.ID().String()
	var out []string
	for _, a := range h.Addrs() {
		out = append(out, a.String()+"/p2p/"+id)
	}
	return out
}
