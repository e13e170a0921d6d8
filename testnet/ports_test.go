package testnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
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

// TestStartMovesTakenPorts: a member whose ports another program took
// after `up` chose them is moved to fresh ports and started, and its
// partner connects to it at its new address, at up and at a later start
// (the partner pinned the old address: it is given the new card).
func TestStartMovesTakenPorts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := Create(t.TempDir(), []string{"IN", "BE"}, "full", &InProcessRunner{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Down() })
	be, _ := n.Member("BE")
	squat := func(ports ...int) {
		t.Helper()
		for _, port := range ports {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}
	}
	squat(be.P2PPort, be.APIPort)
	old := be.P2PPort
	if err := n.Up(ctx); err != nil {
		t.Fatalf("up with BE's ports taken: %v", err)
	}
	if be.P2PPort == old {
		t.Fatalf("BE still on port %d", old)
	}
	for _, m := range n.Members() {
		m.PID = os.Getpid() // in-process members run in this process
	}
	if err := n.waitPartners(ctx, map[string]int{"IN": 1, "BE": 1}); err != nil {
		t.Fatalf("IN and BE connected after BE moved: %v", err)
	}
	reopened, err := Open(n.Dir, &InProcessRunner{})
	if err != nil || reopened.st.Members[1].P2PPort != be.P2PPort {
		t.Fatalf("the state file does not keep BE's new port: %v", err)
	}

	if err := n.Stop(false, "BE"); err != nil {
		t.Fatal(err)
	}
	squat(be.P2PPort, be.APIPort)
	old = be.P2PPort
	if err := n.Start(ctx, "BE"); err != nil {
		t.Fatalf("start with BE's ports taken: %v", err)
	}
	if be.P2PPort == old {
		t.Fatalf("BE still on port %d", old)
	}
	be.PID = os.Getpid()
	if err := n.waitPartners(ctx, map[string]int{"IN": 1, "BE": 1}); err != nil {
		t.Fatalf("IN and BE connected after BE's restart on other ports: %v", err)
	}
	in, _ := n.Member("IN")
	var partners []struct {
		Code  string   `json:"code"`
		Addrs []string `json:"addrs"`
	}
	if err := n.call(ctx, in, "GET", "/api/partners", nil, &partners); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", be.P2PPort)
	if len(partners) != 1 || !slices.ContainsFunc(partners[0].Addrs, func(a string) bool { return strings.HasPrefix(a, want) }) {
		t.Errorf("IN's card of BE: %+v; want BE's new address %s", partners, want)
	}
}
