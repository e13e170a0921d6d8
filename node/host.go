package node

import (
	"fmt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/libp2p/go-libp2p"
	lpcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// newHost builds the node's libp2p host: its own Ed25519 key as peer
// identity, TCP and QUIC only, no relay, and the partner gater.
func newHost(id *crypto.Identity, listen []string, g *gater) (host.Host, error) {
	priv, err := lpcrypto.UnmarshalEd25519PrivateKey(id.Ed25519())
	if err != nil {
		return nil, fmt.Errorf("load peer key: %w", err)
	}
	return libp2p.New(
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.ConnectionGater(g),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.UserAgent("kpnode/"+Version),
	)
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
