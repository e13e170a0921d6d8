package roster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// maxPartnerAddrs bounds an address override.
const maxPartnerAddrs = 16

// SetPartnerAddrs sets the operator's address override of partner code:
// the node dials addrs instead of the addresses in the partner's card. An
// empty addrs clears the override (the card's addresses apply again).
//
// Each address must be an IP or DNS multiaddr over TCP, QUIC or WebSocket
// over TLS (/ip4/203.0.113.7/tcp/4101, /dns4/kp.example/udp/4101/quic-v1,
// /dns4/kp.example/tcp/443/tls/ws); a
// trailing /p2p/ component must name the partner itself and is dropped. The
// override is stored; when the node runs, the partner's known addresses are
// replaced and it is dialled at once. An open connection to the partner is
// kept.
func (r *Roster) SetPartnerAddrs(code string, addrs []string) (Partner, error) {
	return r.setPartnerAddrs(store.ActorNode, code, addrs)
}

func (r *Roster) setPartnerAddrs(actor, code string, addrs []string) (Partner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := r.Pinned(code)
	if err != nil {
		return Partner{}, fmt.Errorf("set addresses of partner %s: %w", code, err)
	}
	sc, err := protocol.ParseCard(p.Card)
	if err != nil {
		return Partner{}, fmt.Errorf("stored card of partner %s: %w", code, err)
	}
	pid, err := peer.Decode(sc.Card.PeerID)
	if err != nil {
		return Partner{}, fmt.Errorf("stored card of partner %s: %w", code, err)
	}
	if p.AddrOverride, err = checkPartnerAddrs(pid, addrs); err != nil {
		return Partner{}, err
	}
	ev := partnerAudit(actor, AuditPartnerAddrs, code, sc.Fingerprint(), map[string]any{"addrs": append([]string{}, p.AddrOverride...)})
	if err := r.cfg.Store.PutPartnerAudited(p, ev); err != nil {
		return Partner{}, fmt.Errorf("set addresses of partner %s: %w", code, err)
	}
	for _, l := range r.listeners {
		l.AddrsSet(pid, Addrs(p))
	}
	r.cfg.Log.Info("partner addresses set", "partner", code, "override", strings.Join(p.AddrOverride, " "))
	return r.partnerView(p, sc), nil
}

// checkPartnerAddrs validates an override for partner pid and returns it
// in canonical form, without /p2p/ suffixes or duplicates.
func checkPartnerAddrs(pid peer.ID, addrs []string) ([]string, error) {
	if len(addrs) > maxPartnerAddrs {
		return nil, fmt.Errorf("%w: %d addresses, at most %d", ErrInvalidAddr, len(addrs), maxPartnerAddrs)
	}
	var out []string
	for _, s := range addrs {
		a, err := parsePartnerAddr(pid, s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func parsePartnerAddr(pid peer.ID, s string) (string, error) {
	a, err := ma.NewMultiaddr(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidAddr, s, err)
	}
	tpt, id := peer.SplitAddr(a)
	switch {
	case id != "" && id != pid:
		return "", fmt.Errorf("%w %q: it names peer %s, not the partner (%s)", ErrInvalidAddr, s, id, pid)
	case !dialable(tpt):
		return "", fmt.Errorf("%w %q: want an IP or DNS address over tcp, udp/PORT/quic-v1 or tcp/PORT/tls/ws, such as /ip4/203.0.113.7/tcp/4101",
			ErrInvalidAddr, s)
	}
	return tpt.String(), nil
}

// dialable reports whether the node's transports can dial a: an IP or DNS
// component, then tcp, udp and quic-v1, or tcp, tls and ws (or wss).
func dialable(a ma.Multiaddr) bool {
	if len(a) < 2 {
		return false
	}
	switch a[0].Code() {
	case ma.P_IP4, ma.P_IP6, ma.P_DNS, ma.P_DNS4, ma.P_DNS6:
	default:
		return false
	}
	rest := make([]int, 0, len(a)-1)
	for _, c := range a[1:] {
		rest = append(rest, c.Code())
	}
	return slices.Equal(rest, []int{ma.P_TCP}) || slices.Equal(rest, []int{ma.P_UDP, ma.P_QUIC_V1}) ||
		slices.Equal(rest, []int{ma.P_TCP, ma.P_TLS, ma.P_WS}) || slices.Equal(rest, []int{ma.P_TCP, ma.P_WSS}) // reach: WebSocket over TLS
}
