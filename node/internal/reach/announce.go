package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	ma "github.com/multiformats/go-multiaddr"
)

// MaxAnnounce bounds the announce addresses: a card holds at most 16
// addresses (protocol.MaxCardAddrs).
const MaxAnnounce = 16

// ParseAnnounce checks the announce setting and returns its addresses. Each
// must be one of
//
//	/ip4/IP/tcp/PORT, /ip6/IP/tcp/PORT            (and /udp/PORT/quic-v1)
//	/dns4/NAME/tcp/PORT, /dns6/NAME/..., /dns/NAME/...
//	/dnsaddr/NAME                                   (resolved by the dialer)
//
// with no /p2p/ component (the card names the peer), a port other than 0,
// and no unspecified IP (0.0.0.0, ::), which nobody can dial.
func ParseAnnounce(addrs []string) ([]ma.Multiaddr, error) {
	if len(addrs) > MaxAnnounce {
		return nil, fmt.Errorf("%w: %d addresses, at most %d", ErrBadAnnounce, len(addrs), MaxAnnounce)
	}
	out := make([]ma.Multiaddr, 0, len(addrs))
	for i, s := range addrs {
		a, err := parseAnnounceAddr(s)
		if err != nil {
			return nil, fmt.Errorf("announce[%d] %q: %w", i, s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAnnounceAddr(s string) (ma.Multiaddr, error) {
	a, err := ma.NewMultiaddr(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%w: not a multiaddr: %v", ErrBadAnnounce, err)
	}
	if len(a) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadAnnounce)
	}
	switch a[0].Code() {
	case ma.P_DNSADDR:
		if err := checkHostName(a[0].Value()); err != nil {
			return nil, err
		}
		if len(a) != 1 {
			return nil, fmt.Errorf("%w: /dnsaddr/NAME stands alone (its TXT records carry the transports)", ErrBadAnnounce)
		}
		return a, nil
	case ma.P_IP4, ma.P_IP6:
		if ip := a[0].Value(); ip == "0.0.0.0" || ip == "::" {
			return nil, fmt.Errorf("%w: %s is unspecified: announce the address partners dial", ErrBadAnnounce, ip)
		}
	case ma.P_DNS, ma.P_DNS4, ma.P_DNS6:
		if err := checkHostName(a[0].Value()); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: want /ip4, /ip6, /dns, /dns4, /dns6 or /dnsaddr first", ErrBadAnnounce)
	}
	return a, checkTransport(a[1:])
}

// checkHostName accepts a DNS host name a resolver can look up: at most
// 253 characters of dot-separated labels (a final dot allowed), each 1..63
// letters, digits and hyphens, neither starting nor ending with a hyphen
// (RFC 1123 §2.1), and not a bare IP address (announce /ip4 or /ip6).
func checkHostName(name string) error {
	host := strings.TrimSuffix(name, ".")
	if host == "" || len(host) > 253 {
		return fmt.Errorf("%w: host name %q must be 1..253 characters", ErrBadAnnounce, name)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return fmt.Errorf("%w: %q is an IP address: announce it as /ip4 or /ip6", ErrBadAnnounce, name)
	}
	for _, label := range strings.Split(host, ".") {
		if !validLabel(label) {
			return fmt.Errorf("%w: host name %q has an invalid label %q (1..63 letters, digits or hyphens, no hyphen first or last)", ErrBadAnnounce, name, label)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// AnnounceCautions names the announce addresses a partner elsewhere cannot
// dial although they are valid: loopback, private (RFC 1918, unique local),
// link-local and shared (RFC 6598) addresses, and the host name localhost.
// They are kept (a testnet or a private network may want them); the
// daemon logs each caution at start.
func AnnounceCautions(addrs []ma.Multiaddr) []string {
	var out []string
	for i, a := range addrs {
		if why := undialableFar(a[0]); why != "" {
			out = append(out, fmt.Sprintf("announce[%d] %s is %s: only partners on that network can dial it", i, a, why))
		}
	}
	return out
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

func undialableFar(c ma.Component) string {
	switch c.Code() {
	case ma.P_DNS, ma.P_DNS4, ma.P_DNS6, ma.P_DNSADDR:
		if h := strings.ToLower(strings.TrimSuffix(c.Value(), ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
			return "localhost"
		}
		return ""
	}
	ip, err := netip.ParseAddr(c.Value())
	if err != nil {
		return ""
	}
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case sharedSpace.Contains(ip):
		return "a shared (carrier-grade NAT) address"
	}
	return ""
}

// Transports are the protocol sequences after the host that the node's
// transports dial: TCP, QUIC, WebSocket over TLS.
var Transports = [][]int{{ma.P_TCP}, {ma.P_UDP, ma.P_QUIC_V1}, {ma.P_TCP, ma.P_TLS, ma.P_WS}, {ma.P_TCP, ma.P_WSS}}

// checkTransport accepts one of [Transports] with a port above 0.
func checkTransport(rest ma.Multiaddr) error {
	codes := make([]int, 0, len(rest))
	for _, c := range rest {
		codes = append(codes, c.Code())
	}
	if !slices.ContainsFunc(Transports, func(t []int) bool { return slices.Equal(t, codes) }) {
		return fmt.Errorf("%w: want /tcp/PORT, /udp/PORT/quic-v1 or /tcp/PORT/tls/ws after the host, and no /p2p/", ErrBadAnnounce)
	}
	if rest[0].Value() == "0" {
		return fmt.Errorf("%w: port 0 is not dialable", ErrBadAnnounce)
	}
	return nil
}

// announceFactory returns the host's address factory: with no announce
// addresses the host's own, otherwise the announce addresses followed by
// the host's relay (circuit) addresses, which stay the way to reach a node
// behind NAT.
func announceFactory(announce []ma.Multiaddr) func([]ma.Multiaddr) []ma.Multiaddr {
	if len(announce) == 0 {
		return nil
	}
	return func(addrs []ma.Multiaddr) []ma.Multiaddr {
		out := slices.Clone(announce)
		for _, a := range addrs {
			if IsCircuit(a) {
				out = append(out, a)
			}
		}
		return out
	}
}

// IsCircuit reports whether a is a relayed (p2p-circuit) address.
func IsCircuit(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}
