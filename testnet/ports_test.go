package testnet

import (
	"fmt"
	"net"
	"testing"
)

// TestFreePortsBelowEphemeral: the ports are distinct, free, and outside
// the kernel's ephemeral range, where running members' outgoing
// connections could take them before their member starts.
func TestFreePortsBelowEphemeral(t *testing.T) {
	lo, hi := portWindow()
	ports, err := freePorts(40)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < lo || p >= hi || seen[p] {
			t.Fatalf("port %d: outside %d-%d or repeated", p, lo, hi-1)
		}
		seen[p] = true
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d is not free after freePorts: %v", p, err)
		}
		l.Close()
	}
}
