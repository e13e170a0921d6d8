package reach

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"go.uber.org/fx"
)

// AutoRelay holds a reservation on every partner that relays (up to
// relayReservations, libp2p's default is 2): two sites behind NAT meet
// only through a relay on which both hold one, and each dials the other
// through every relaying partner it is connected to (AddCircuitAddrs).
//
// AutoRelay timing. A partner that refused a reservation (no relay
// service, or behind NAT itself) is asked again after relayBackoff, not
// libp2p's hour: partners restart and change their settings. The
// partners are offered again at most every relaySourceInterval while the
// node has no relay: a partner pinned after the start is tried within
// it (with 10 s, two sites behind NAT took 16 s to meet in
// TestPartnersBehindNATExchangeThroughRelay, with 2 s, 2 s); an offer
// costs a snapshot of the partners.
const (
	relayBackoff        = time.Minute
	relaySourceInterval = 2 * time.Second
)

// HostOptions are the libp2p options that make a host reachable under
// cfg, given its listen addresses (none: it only dials out, and knows
// itself private from the start) and announce addresses (when set, what
// it advertises instead of its listen and interface addresses, relay
// addresses kept; see [ParseAnnounce]):
//
//   - the WebSocket over TLS transport (listen on /tcp/443/tls/ws;
//     dialled through cfg.Proxy or HTTPS_PROXY), beside the TCP (without
//     SO_REUSEPORT) and QUIC transports the exchange's host has already
//     (QUIC's UDP socket is never shared with another process, and hole
//     punching dials from it);
//   - the circuit relay client, AutoRelay through the pinned partners,
//     DCUtR hole punching; as cfg says, the relay service for partners
//     (alive as long as the host) and port mapping.
//
// No AutoNAT service is offered: libp2p's v1 and v2 services dial back
// from a second, throwaway peer identity, which every partner's gater
// refuses (only pinned peers connect), so among partners they could only
// ever report "unreachable".
func HostOptions(cfg Config, listen, announce []string, partners Partners) ([]libp2p.Option, error) {
	ann, err := ParseAnnounce(announce)
	if err != nil {
		return nil, err
	}
	proxy, err := ParseProxy(cfg.Proxy)
	if err != nil {
		return nil, err
	}
	opts, err := baseOptions(partners)
	if err != nil {
		return nil, err
	}
	if f := announceFactory(ann); f != nil {
		opts = append(opts, libp2p.AddrsFactory(f))
	}
	if cfg.RelayService {
		opts = append(opts, libp2p.WithFxOption(fx.Invoke(serveRelay(partners))))
	}
	if proxy != nil {
		useProxy(proxy)
	}
	if cfg.PortMapping {
		opts = append(opts, libp2p.NATPortMap())
	}
	if len(listen) == 0 || cfg.Private {
		opts = append(opts, libp2p.ForceReachabilityPrivate())
	}
	return opts, nil
}

// baseOptions are the WebSocket transport, relay client, AutoRelay and hole
// punching every node has.
func baseOptions(partners Partners) ([]libp2p.Option, error) {
	wss, err := wssTransport()
	if err != nil {
		return nil, err
	}
	return []libp2p.Option{
		wss,
		libp2p.EnableRelay(),
		libp2p.EnableAutoRelayWithPeerSource(partnerSource(partners),
			autorelay.WithMinCandidates(1), autorelay.WithBootDelay(0),
			autorelay.WithNumRelays(relayReservations), autorelay.WithMaxCandidates(relayReservations),
			autorelay.WithBackoff(relayBackoff), autorelay.WithMinInterval(relaySourceInterval)),
		libp2p.EnableHolePunching(),
	}, nil
}

// serveRelay starts the relay service for partners on the host being
// built and stops it before the host closes.
func serveRelay(partners Partners) func(host.Host, fx.Lifecycle) error {
	return func(h host.Host, lc fx.Lifecycle) error {
		r, err := relay.New(h, relayOptions(partners)...)
		if err != nil {
			return err
		}
		lc.Append(fx.StopHook(r.Close))
		return nil
	}
}

// partnerSource offers AutoRelay the pinned partners as relay candidates;
// it dials them at the addresses the node knows (their cards, overrides).
// Those without a relay service, or not reachable directly, are set aside
// by AutoRelay itself.
func partnerSource(partners Partners) autorelay.PeerSource {
	return func(ctx context.Context, num int) <-chan peer.AddrInfo {
		ps := partners.Peers()
		out := make(chan peer.AddrInfo, len(ps))
		for _, p := range ps {
			if len(out) < num && partners.Admits(p) {
				out <- peer.AddrInfo{ID: p}
			}
		}
		close(out)
		return out
	}
}
