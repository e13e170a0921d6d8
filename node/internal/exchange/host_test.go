package exchange

import (
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

func TestTCPFirstRanking(t *testing.T) {
	addrs := []ma.Multiaddr{
		ma.StringCast("/ip4/192.0.2.1/udp/4101/quic-v1"),
		ma.StringCast("/ip4/192.0.2.1/tcp/4101"),
	}
	got := tcpFirst(addrs)
	if len(got) != 2 || got[0].Delay != quicFallbackDelay || got[1].Delay != 0 {
		t.Fatalf("ranking %v: want QUIC after %s, TCP at once", got, quicFallbackDelay)
	}
}
