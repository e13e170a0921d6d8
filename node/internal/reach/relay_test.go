package reach

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

const echoProto = "/kpnode-test/echo/1"

// relayWorld is a relay r whose pinned partners are a and b; stranger is
// pinned by nobody. a, b and stranger listen on loopback (they dial out
// only through the relay in these tests: nobody gives them the others'
// direct addresses).
type relayWorld struct {
	r, a, b, stranger host.Host
	rPartners         *pinned
}

func newRelayWorld(t *testing.T) relayWorld {
	w := relayWorld{rPartners: &pinned{}}
	cfg := DefaultConfig()
	w.r = newTestHost(t, cfg, loopback, w.rPartners)
	w.a = newTestHost(t, cfg, loopback, &pinned{})
	w.b = newTestHost(t, cfg, loopback, &pinned{})
	w.stranger = newTestHost(t, cfg, loopback, &pinned{})
	w.rPartners.add(w.a.ID(), w.b.ID())
	for _, h := range []host.Host{w.a, w.b, w.stranger} {
		h.SetStreamHandler(echoProto, func(s network.Stream) { io.Copy(s, s); s.Close() })
	}
	return w
}

func reserve(t *testing.T, h, relay host.Host) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.Reserve(ctx, h, peer.AddrInfo{ID: relay.ID(), Addrs: relay.Addrs()})
	return err
}

// circuitTo is the address of target through relay.
func circuitTo(relay, target host.Host) string {
	return relay.Addrs()[0].String() + "/p2p/" + relay.ID().String() + "/p2p-circuit/p2p/" + target.ID().String()
}

// TestRelayReservesForPinnedPartnersOnly: a pinned partner gets a slot
// with the record-sized limits; a stranger is refused.
func TestRelayReservesForPinnedPartnersOnly(t *testing.T) {
	w := newRelayWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rsvp, err := client.Reserve(ctx, w.a, peer.AddrInfo{ID: w.r.ID(), Addrs: w.r.Addrs()})
	if err != nil {
		t.Fatalf("pinned partner refused: %v", err)
	}
	if rsvp.LimitData != RelayDataLimit || rsvp.LimitDuration != RelayDurationLimit {
		t.Fatalf("limits %d bytes, %s; want %d, %s", rsvp.LimitData, rsvp.LimitDuration, RelayDataLimit, RelayDurationLimit)
	}
	var re client.ReservationError
	if err := reserve(t, w.stranger, w.r); !errors.As(err, &re) {
		t.Fatalf("stranger's reservation: %v, want a refusal", err)
	}
}

// TestRelayConnectsPinnedPartnersOnly: a partner reaches another through
// the relay, over a limited connection that runs only the streams that
// allow it; a stranger cannot reach a partner through it, nor a partner a
// stranger.
func TestRelayConnectsPinnedPartnersOnly(t *testing.T) {
	w := newRelayWorld(t)
	if err := reserve(t, w.b, w.r); err != nil {
		t.Fatal(err)
	}
	if err := connectTo(t, w.a, w.b, circuitTo(w.r, w.b)); err != nil {
		t.Fatalf("partner to partner through the relay: %v", err)
	}
	if got := w.a.Network().Connectedness(w.b.ID()); got != network.Limited || !Linked(got) {
		t.Fatalf("a to b: %s, want limited (relayed) and linked", got)
	}
	short, cancelShort := context.WithTimeout(context.Background(), time.Second)
	defer cancelShort()
	if _, err := w.a.NewStream(short, w.b.ID(), echoProto); err == nil {
		t.Fatal("a stream that does not allow a limited connection ran over the relay")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := w.a.NewStream(network.WithAllowLimitedConn(ctx, "test"), w.b.ID(), echoProto)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, s)
	if err := connectTo(t, w.stranger, w.b, circuitTo(w.r, w.b)); err == nil {
		t.Fatal("a stranger reached a partner through the relay")
	}
	if err := reserve(t, w.stranger, w.r); err == nil {
		t.Fatal("stranger reserved")
	}
	w.rPartners.add(w.stranger.ID()) // pinned now
	if err := reserve(t, w.stranger, w.r); err != nil {
		t.Fatalf("newly pinned partner refused: %v", err)
	}
	w.rPartners.remove(w.stranger.ID()) // unpinned, its reservation still held
	if err := connectTo(t, w.a, w.stranger, circuitTo(w.r, w.stranger)); err == nil {
		t.Fatal("a partner reached an unpinned peer through the relay")
	}
}

func echo(t *testing.T, s network.Stream) {
	t.Helper()
	defer s.Close()
	s.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Write([]byte("record")); err != nil {
		t.Fatal(err)
	}
	s.CloseWrite()
	b, err := io.ReadAll(s)
	if err != nil || string(b) != "record" {
		t.Fatalf("echo: %q, %v", b, err)
	}
}

// TestCircuitAddrsThroughRelayingPartners: circuit addresses for a
// partner go through partners connected directly that serve relay v2,
// not through one connected only by relay or serving none.
func TestCircuitAddrsThroughRelayingPartners(t *testing.T) {
	w := newRelayWorld(t)
	plain := newTestHost(t, Config{UnreachableAfter: Duration(time.Minute)}, loopback, &pinned{}) // no relay service
	aPartners := &pinned{}
	aPartners.add(w.r.ID(), plain.ID(), w.b.ID())
	for _, h := range []host.Host{w.r, plain} {
		if err := connectTo(t, w.a, h); err != nil {
			t.Fatal(err)
		}
	}
	waitProtocols(t, w.a, w.r.ID())
	waitProtocols(t, w.a, plain.ID())
	AddCircuitAddrs(w.a, w.b.ID(), aPartners)
	var circuits []ma.Multiaddr
	for _, a := range w.a.Peerstore().Addrs(w.b.ID()) {
		if IsCircuit(a) {
			circuits = append(circuits, a)
		}
	}
	if len(circuits) != 1 || !containsPeer(circuits[0], w.r.ID()) {
		t.Fatalf("circuit addresses of b: %v, want one through r (%s)", circuits, w.r.ID())
	}
}

func waitProtocols(t *testing.T, h host.Host, p peer.ID) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if protos, _ := h.Peerstore().GetProtocols(p); len(protos) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("identify of %s not done within 10s", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func containsPeer(a ma.Multiaddr, p peer.ID) bool {
	v, err := a.ValueForProtocol(ma.P_P2P)
	return err == nil && v == p.String()
}

// TestPrivateNodeReservesOnPartnerRelay: a node that says it is private
// (here listening on loopback) gets a slot on its pinned partner's relay
// by AutoRelay, on its own: another partner of the relay then reaches it
// through the relay. (On loopback libp2p does not advertise the circuit
// address, which it builds only from public relay addresses.)
func TestPrivateNodeReservesOnPartnerRelay(t *testing.T) {
	rPartners, aPartners := &pinned{}, &pinned{}
	r := newTestHost(t, DefaultConfig(), loopback, rPartners)
	b := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	cfg := DefaultConfig()
	cfg.Private = true
	a, err := newPinnedHost(cfg, aPartners, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	rPartners.add(a.ID(), b.ID())
	a.SetStreamHandler(echoProto, func(s network.Stream) { io.Copy(s, s); s.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for connectTo(t, b, a, circuitTo(r, a)) != nil {
		if time.Now().After(deadline) {
			t.Fatal("no reservation on the partner's relay within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newPinnedHost builds a host whose partner relays are pinned (and their
// addresses known) before it starts, as a node's roster is.
func newPinnedHost(cfg Config, partners *pinned, relays ...host.Host) (host.Host, error) {
	opts, err := HostOptions(cfg, loopback, nil, partners)
	if err != nil {
		return nil, err
	}
	ps, err := pstoremem.NewPeerstore()
	if err != nil {
		return nil, err
	}
	for _, r := range relays {
		partners.add(r.ID())
		ps.AddAddrs(r.ID(), r.Addrs(), time.Hour)
	}
	return libp2p.New(append(withTransports(opts), libp2p.Peerstore(ps), libp2p.ListenAddrStrings(loopback...), libp2p.DisableMetrics())...)
}

// TestPrivateNodeReservesOnEveryRelayingPartner: with three relaying
// partners, a private node holds a slot on each (libp2p keeps 2 by
// default): another site behind NAT may share only one of them with it.
func TestPrivateNodeReservesOnEveryRelayingPartner(t *testing.T) {
	other := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	var relays []host.Host
	var relayPartners []*pinned
	for range 3 {
		rp := &pinned{}
		relays = append(relays, newTestHost(t, DefaultConfig(), loopback, rp))
		relayPartners = append(relayPartners, rp)
	}
	cfg := DefaultConfig()
	cfg.Private = true
	a, err := newPinnedHost(cfg, &pinned{}, relays...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	for _, rp := range relayPartners {
		rp.add(a.ID(), other.ID())
	}
	for i, r := range relays {
		deadline := time.Now().Add(20 * time.Second)
		for connectTo(t, other, a, circuitTo(r, a)) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("no reservation on relaying partner %d of 3 within 20s", i+1)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, c := range other.Network().ConnsToPeer(a.ID()) {
			if !containsPeer(c.RemoteMultiaddr(), r.ID()) {
				t.Fatalf("reached through %s, not relaying partner %d", c.RemoteMultiaddr(), i+1)
			}
		}
		other.Network().ClosePeer(a.ID())
		other.Peerstore().ClearAddrs(a.ID()) // the next relay's circuit only
	}
}
