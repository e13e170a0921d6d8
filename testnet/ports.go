package testnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/kpnode/kpnode/home"
)

// startAttempts bounds the starts of a member whose ports another program
// on the machine took between `testnet up` choosing them and the member
// starting (with 67 members, 134 ports wait for up to a minute): each
// further attempt moves the member to fresh ports.
const startAttempts = 3

// addrInUse is what the daemon logs when a port it was told to listen on
// is taken (the kernel's EADDRINUSE, as Go words it).
var addrInUse = []byte("address already in use")

// logSize is the size of m's log now, where the next start's output
// begins (the runner appends to it).
func logSize(m *Member) int64 {
	info, err := os.Stat(logPath(m))
	if err != nil {
		return 0
	}
	return info.Size()
}

// portTaken reports whether the start's error (an in-process member's)
// or m's log since offset (a process's) says a listen address was in use.
func portTaken(m *Member, offset int64, startErr error) bool {
	if bytes.Contains([]byte(startErr.Error()), addrInUse) {
		return true
	}
	f, err := os.Open(logPath(m))
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, offset, 1<<20))
	return err == nil && bytes.Contains(b, addrInUse)
}

// movePorts gives m two fresh ports: its config (listen address, API)
// and the network's state are rewritten. Partners that pinned m's card
// before hold its old address until they are given the new card
// ([Network.repin]).
func (n *Network) movePorts(m *Member) error {
	h, cfg, err := home.OpenHome(m.Home)
	if err != nil {
		return fmt.Errorf("move %s to other ports: %w", m.Code, err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return fmt.Errorf("move %s to other ports: %w", m.Code, err)
	}
	m.P2PPort, m.APIPort = ports[0], ports[1]
	if len(cfg.Listen) > 0 { // behind NAT: listens on nothing
		cfg.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", m.P2PPort)}
	}
	cfg.API = m.API()
	if err := cfg.WriteFile(h.ConfigPath()); err != nil {
		return fmt.Errorf("move %s to other ports: %w", m.Code, err)
	}
	n.mu.Lock()
	delete(n.clients, m.Code) // its API moved
	n.mu.Unlock()
	return n.save()
}

// repin gives m's current card to its running linked partners, which
// then dial its current address (re-pinning the same key refreshes the
// card and keeps the partner's pause).
func (n *Network) repin(ctx context.Context, m *Member) error {
	var card []byte
	if err := n.call(ctx, m, "GET", "/api/card", nil, &card); err != nil {
		return fmt.Errorf("card of %s: %w", m.Code, err)
	}
	for _, l := range n.st.Spec.Links {
		if !slices.Contains(l[:], m.Code) {
			continue
		}
		other := l[0]
		if other == m.Code {
			other = l[1]
		}
		p, err := n.Member(other)
		if err != nil || !n.runner.Running(p) {
			continue
		}
		if err := n.call(ctx, p, "POST", "/api/partners", card, nil); err != nil {
			return fmt.Errorf("%s pins %s again: %w", other, m.Code, err)
		}
	}
	return nil
}
