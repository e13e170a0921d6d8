package exchange

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestLateConnectionOfPausedPartnerClosed: a connection that reaches the
// swarm although its partner is paused is closed as it is added. That is
// a connection whose handshake passed the gater before the pause and was
// added after [Service.Paused] closed the others; here host a has no
// gater at all, so that its handshake lets the paused partner b in.
func TestLateConnectionOfPausedPartnerClosed(t *testing.T) {
	a, b := newPlainHost(t), newPlainHost(t)
	g := newGater(func(peer.ID) bool { return false }, func(string, uint64) {})
	g.allow(b.ID())
	g.pause(b.ID(), true)
	a.Network().Notify((&Service{gater: g, roster: noRoster{}}).notifee())
	var seen atomic.Int32 // connections b saw added
	b.Network().Notify(&network.NotifyBundle{ConnectedF: func(network.Network, network.Conn) { seen.Add(1) }})

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_ = a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}) // fails or not, depending on when b sees the close
	waitFor(t, ctx, "b saw the connection", func() bool { return seen.Load() > 0 })
	if got := a.Network().Connectedness(b.ID()); got != network.NotConnected {
		t.Fatalf("a to its paused partner b: %s, want not connected", got)
	}
}

// noRoster is a Roster with no partners.
type noRoster struct{}

func (noRoster) Snapshot() *roster.Snapshot      { return &roster.Snapshot{} }
func (noRoster) Stored() []store.Partner         { return nil }
func (noRoster) NewKeyConnected(string, peer.ID) {}
