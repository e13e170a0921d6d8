package node

import (
	"testing"
	"time"
)

// TestQUICOnlyPartnerStillConnects: a partner reachable over QUIC only is
// dialled once the TCP head start has passed.
func TestQUICOnlyPartnerStillConnects(t *testing.T) {
	a := testNode(t, "IN")
	b := testNodeWith(t, "BE", func(n *Node) { n.cfg.Listen = []string{"/ip4/127.0.0.1/udp/0/quic-v1"} })
	pin(t, a, b)
	// Bounded polling: under the race detector on a loaded machine one
	// dial (10 s) can fail, and the node's dialer may connect meanwhile.
	deadline := time.Now().Add(45 * time.Second)
	err := connect(a, b)
	for err != nil && time.Now().Before(deadline) && !connectedWithin(a, b, time.Second, true) {
		err = connect(a, b)
	}
	if !connectedWithin(a, b, 30*time.Second, true) {
		t.Fatalf("not connected over QUIC (last dial: %v)", err)
	}
}
