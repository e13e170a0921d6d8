package reach

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
)

func TestParseAnnounce(t *testing.T) {
	good := []string{
		"/ip4/203.0.113.7/tcp/4101", "/ip4/203.0.113.7/udp/4101/quic-v1", "/ip6/2001:db8::7/tcp/4101",
		"/dns4/kp.example.org/tcp/4101", "/dns6/kp.example.org/udp/4101/quic-v1", "/dns/kp.example.org/tcp/443",
		"/dnsaddr/kp.example.org", "/dns4/kp.example.org/tcp/443/tls/ws", "/ip4/203.0.113.7/tcp/443/wss",
	}
	if _, err := ParseAnnounce(good); err != nil {
		t.Fatalf("valid announce refused: %v", err)
	}
	bad := map[string]string{
		"not a multiaddr":           "not a multiaddr",
		"/ip4/0.0.0.0/tcp/4101":     "unspecified",
		"/ip6/::/tcp/4101":          "unspecified",
		"/ip4/203.0.113.7/tcp/0":    "port 0",
		"/ip4/203.0.113.7":          "want /tcp/PORT",
		"/ip4/203.0.113.7/udp/4101": "want /tcp/PORT",
		"/ip4/203.0.113.7/tcp/4101/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq": "no /p2p/",
		"/dnsaddr/kp.example.org/tcp/4101":                                                   "stands alone",
		"/unix/tmp/kp.sock":                                                                  "want /ip4",
		"/dns4/-bad-.example/tcp/4101":                                                       "invalid label",
		"/dns4/kp..example/tcp/4101":                                                         "invalid label",
		"/dns/kp_node.example/tcp/4101":                                                      "invalid label",
		"/dns4/" + strings.Repeat("a", 64) + ".example/tcp/4101":                             "invalid label",
		"/dns4/203.0.113.7/tcp/4101":                                                         "an IP address",
		"/dnsaddr/bad name.example":                                                          "invalid label",
	}
	for s, want := range bad {
		_, err := ParseAnnounce([]string{"/ip4/203.0.113.7/tcp/4101", s})
		if !errors.Is(err, ErrBadAnnounce) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "announce[1]") {
			t.Errorf("%q: %v, want ErrBadAnnounce at announce[1] saying %q", s, err, want)
		}
	}
	many := make([]string, MaxAnnounce+1)
	for i := range many {
		many[i] = "/ip4/203.0.113.7/tcp/4101"
	}
	if _, err := ParseAnnounce(many); !errors.Is(err, ErrBadAnnounce) {
		t.Errorf("%d addresses: %v, want ErrBadAnnounce", len(many), err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.UnreachableAfter = Duration(time.Millisecond)
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "unreachable_after") {
		t.Errorf("unreachable_after 1ms: %v", err)
	}
}

// TestHostAdvertisesAnnounce: a host with announce addresses advertises
// them, not its listen addresses, to identify (its peer's view).
func TestHostAdvertisesAnnounce(t *testing.T) {
	announce := []string{"/dns4/kp.example.org/tcp/4101", "/ip4/203.0.113.7/udp/4101/quic-v1"}
	h := newAnnouncingHost(t, announce)
	other := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	got := map[string]bool{}
	for _, a := range h.Addrs() {
		got[a.String()] = true
	}
	if len(got) != 2 || !got[announce[0]] || !got[announce[1]] {
		t.Fatalf("host addresses %v, want the announce addresses %v", h.Addrs(), announce)
	}
	if err := connectTo(t, other, h, directListen(t, h)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := map[string]bool{}
		for _, a := range other.Peerstore().Addrs(h.ID()) {
			seen[a.String()] = true
		}
		if seen[announce[0]] && seen[announce[1]] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer learnt %v by identify, want the announce addresses", other.Peerstore().Addrs(h.ID()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// directListen is one of h's listen addresses that is not a relay's.
func directListen(t *testing.T, h host.Host) string {
	for _, a := range h.Network().ListenAddresses() {
		if !IsCircuit(a) {
			return a.String()
		}
	}
	t.Fatal("no direct listen address")
	return ""
}

func newAnnouncingHost(t *testing.T, announce []string) host.Host {
	t.Helper()
	opts, err := HostOptions(DefaultConfig(), loopback, announce, &pinned{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(append(withTransports(opts), libp2p.ListenAddrStrings(loopback...), libp2p.DisableMetrics())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// TestAnnounceCautions: addresses only a local network can dial are named,
// public ones are not.
func TestAnnounceCautions(t *testing.T) {
	addrs, err := ParseAnnounce([]string{
		"/ip4/203.0.113.7/tcp/4101", "/ip4/127.0.0.1/tcp/4101", "/ip4/10.1.2.3/tcp/4101",
		"/ip6/fe80::1/tcp/4101", "/ip4/100.64.0.9/tcp/4101", "/dns4/localhost/tcp/4101",
		"/dns4/kp.example.org/tcp/4101", "/ip6/fd00::5/udp/4101/quic-v1",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := AnnounceCautions(addrs)
	want := []string{"announce[1]", "announce[2]", "announce[3]", "announce[4]", "announce[5]", "announce[7]"}
	if len(got) != len(want) {
		t.Fatalf("cautions %q, want one for each of %v", got, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w+" ") {
			t.Errorf("caution %d = %q, want it about %s", i, got[i], w)
		}
	}
}
