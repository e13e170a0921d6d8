package reach

import (
	"errors"
	"strings"
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

func mustAddr(t *testing.T, s string) ma.Multiaddr {
	t.Helper()
	a, err := ma.NewMultiaddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSecondHostOnTakenPortFails: a second host on a TCP port another
// listens on gets no listener (no SO_REUSEPORT), and CheckListening names
// the port and the system's reason, even though its QUIC address listens.
func TestSecondHostOnTakenPortFails(t *testing.T) {
	first := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	var taken string
	for _, a := range first.Network().ListenAddresses() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			taken = a.String()
		}
	}
	listen := []string{taken, "/ip4/127.0.0.1/udp/0/quic-v1"}
	second := newTestHost(t, DefaultConfig(), listen, &pinned{})
	err := CheckListening(second, listen)
	if !errors.Is(err, ErrPortTaken) {
		t.Fatalf("second host on %s: %v, want ErrPortTaken", taken, err)
	}
	port, _ := mustAddr(t, taken).ValueForProtocol(ma.P_TCP)
	if !strings.Contains(err.Error(), "port tcp "+port) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("error %q does not name tcp port %s and the system's reason", err, port)
	}
	if err := CheckListening(first, loopback); err != nil {
		t.Fatalf("first host: %v", err)
	}
}

// TestCheckListeningNamesTakenUDPPort: the same for QUIC's UDP port.
func TestCheckListeningNamesTakenUDPPort(t *testing.T) {
	first := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	var taken string
	for _, a := range first.Network().ListenAddresses() {
		if _, err := a.ValueForProtocol(ma.P_UDP); err == nil {
			taken = a.String()
		}
	}
	listen := []string{"/ip4/127.0.0.1/tcp/0", taken}
	second := newTestHost(t, DefaultConfig(), listen, &pinned{})
	err := CheckListening(second, listen)
	port, _ := mustAddr(t, taken).ValueForProtocol(ma.P_UDP)
	if !errors.Is(err, ErrPortTaken) || !strings.Contains(err.Error(), "port udp "+port) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second host on %s: %v, want ErrPortTaken naming udp %s", taken, err, port)
	}
}
