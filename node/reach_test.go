package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// listenNothing makes a node that can only dial out, as behind NAT.
func listenNothing(c *Config) { c.Listen = nil }

// TestPartnersBehindNATExchangeThroughRelay: AE and ZA listen on nothing
// and never meet directly; BE, the partner of both with an address,
// relays. AE's entry reaches ZA, ZA's receipt reaches AE (delivery status
// true), over a relayed connection between AE and ZA, not by BE passing
// AE's feed on.
func TestPartnersBehindNATExchangeThroughRelay(t *testing.T) {
	be := testNode(t, "BE")
	ae := testNodeConfig(t, "AE", listenNothing, nil)
	za := testNodeConfig(t, "ZA", listenNothing, nil)
	for _, a := range []*Node{be, ae, za} {
		for _, b := range []*Node{be, ae, za} {
			if a != b {
				pin(t, a, b)
			}
		}
	}
	if _, err := ae.Publish(context.Background(), "notice", noticeBy(t, "AE"), []string{"ZA"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 45*time.Second, "ZA has AE's feed", func() error { return holds(za, "AE", 1) })
	eventually(t, 45*time.Second, "AE has ZA's receipt", func() error { return delivered(ae, "ZA", 1) })
	if c := relayedOnly(ae, za); c != nil {
		t.Fatal(c)
	}
	s, err := ae.Status()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Partners {
		if want := p.Code == "ZA"; p.Relayed != want {
			t.Errorf("AE's status: partner %s relayed %v, want %v", p.Code, p.Relayed, want)
		}
	}
}

// delivered checks that author's status shows partner code's receipt up
// to seq, nothing undelivered, and the partner connected.
func delivered(author *Node, code string, seq uint64) error {
	s, err := author.Status()
	if err != nil {
		return err
	}
	for _, p := range s.Partners {
		if p.Code == code {
			if p.Receipt != seq || p.Undelivered != 0 || !p.Connected {
				return fmt.Errorf("partner %s: receipt %d, undelivered %d, connected %v", code, p.Receipt, p.Undelivered, p.Connected)
			}
			return nil
		}
	}
	return fmt.Errorf("no partner %s", code)
}

// relayedOnly checks that a and b are connected, only through relays.
func relayedOnly(a, b *Node) error {
	conns := a.ex.Host().Network().ConnsToPeer(b.ex.Host().ID())
	if len(conns) == 0 {
		return fmt.Errorf("%s and %s are not connected", a.Participant(), b.Participant())
	}
	for _, c := range conns {
		if !reach.IsCircuit(c.RemoteMultiaddr()) {
			return fmt.Errorf("%s reaches %s directly at %s", a.Participant(), b.Participant(), c.RemoteMultiaddr())
		}
	}
	return nil
}

// TestStatusShowsUnreachablePartner: a pinned partner that is down shows
// since when in status; a connected one shows nothing.
func TestStatusShowsUnreachablePartner(t *testing.T) {
	nodes := mesh(t, "BE", "AE")
	be, ae := nodes[0], nodes[1]
	eventually(t, 20*time.Second, "BE connected to AE", func() error { return connectedPartner(be, "AE", true) })
	ae.Close()
	eventually(t, 20*time.Second, "AE unreachable in BE's status", func() error { return connectedPartner(be, "AE", false) })
}

func connectedPartner(n *Node, code string, want bool) error {
	s, err := n.Status()
	if err != nil {
		return err
	}
	for _, p := range s.Partners {
		if p.Code == code {
			if p.Connected != want || p.UnreachableSince.IsZero() != want {
				return fmt.Errorf("partner %s: connected %v, unreachable since %v", code, p.Connected, p.UnreachableSince)
			}
			return nil
		}
	}
	return fmt.Errorf("no partner %s", code)
}

func TestConfigAnnounceValidated(t *testing.T) {
	cfg := DefaultConfig("IN", "India")
	cfg.Announce = []string{"/dns4/kp.example.org/tcp/4101", "/ip4/0.0.0.0/tcp/4101"}
	err := cfg.Validate()
	if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "announce[1]") {
		t.Fatalf("announce of 0.0.0.0: %v, want ErrBadConfig naming announce[1]", err)
	}
	cfg.Announce = []string{"/dnsaddr/kp.example.org"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestCardRefreshAfterAddressChange: a node that starts listening on a
// new address re-signs its card and its partner stores it (same key, new
// addresses), without the operator.
func TestCardRefreshAfterAddressChange(t *testing.T) {
	nodes := mesh(t, "BE", "AE")
	be, ae := nodes[0], nodes[1]
	eventually(t, 20*time.Second, "BE connected to AE", func() error { return connectedPartner(be, "AE", true) })
	extra := ma.StringCast("/ip4/127.0.0.1/tcp/0")
	if err := ae.ex.Host().Network().Listen(extra); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "BE holds AE's new card", func() error {
		c, err := ae.Card()
		if err != nil {
			return err
		}
		if len(c.Card.Addrs) != 3 {
			return fmt.Errorf("AE's card lists %v, want its 3 listen addresses", c.Card.Addrs)
		}
		return partnerAddrs(be, "AE", c.Card.Addrs)
	})
}

// TestCardResentAfterHeldSend: AE re-signs its card while its send of
// the card it re-signed before is held (delayed under load). The held send
// goes last, yet BE ends with AE's current card: a send of a card read
// before a re-signature never has the last word, the re-signature's send
// follows it.
func TestCardResentAfterHeldSend(t *testing.T) {
	var armed atomic.Bool
	held, release, heldDone := make(chan []byte, 1), make(chan struct{}), make(chan struct{})
	be := testNode(t, "BE")
	ae := testNodeWith(t, "AE", func(n *Node) {
		n.cardOut.send = func(ctx context.Context, h host.Host, p peer.ID, card []byte) error {
			if !armed.CompareAndSwap(true, false) {
				return reach.SendCard(ctx, h, p, card)
			}
			defer close(heldDone)
			held <- card
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return reach.SendCard(ctx, h, p, card)
		}
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the nodes close
	pin(t, be, ae)
	pin(t, ae, be)
	eventually(t, 20*time.Second, "BE holds AE's card", func() error { return heldCurrentCard(be, ae, 2) })
	armed.Store(true)
	listenMore(t, ae)
	var first []byte
	select {
	case first = <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("AE sent no card after its addresses changed")
	}
	listenMore(t, ae)
	c := waitCardAddrs(t, ae, 4)
	if bytes.Equal(first, c.Bytes()) {
		t.Fatal("the held card is AE's newest: the test holds nothing")
	}
	beID := be.ex.Host().ID()
	eventually(t, 20*time.Second, "a send of AE's newest card done or due", func() error {
		if ae.cardOut.pending(beID) {
			return nil
		}
		return partnerAddrs(be, "AE", c.Card.Addrs)
	})
	once.Do(func() { close(release) })
	select {
	case <-heldDone:
	case <-time.After(20 * time.Second):
		t.Fatal("AE's held send did not end")
	}
	eventually(t, 20*time.Second, "BE holds AE's current card", func() error { return heldCurrentCard(be, ae, 4) })
}

// listenMore makes n listen on one more loopback TCP address: its card
// changes.
func listenMore(t *testing.T, n *Node) {
	t.Helper()
	if err := n.ex.Host().Network().Listen(ma.StringCast("/ip4/127.0.0.1/tcp/0")); err != nil {
		t.Fatal(err)
	}
}

// waitCardAddrs waits until n's own card lists want addresses.
func waitCardAddrs(t *testing.T, n *Node, want int) *protocol.SignedCard {
	t.Helper()
	var c *protocol.SignedCard
	eventually(t, 20*time.Second, fmt.Sprintf("%s's card lists %d addresses", n.Participant(), want), func() error {
		var err error
		if c, err = n.Card(); err != nil {
			return err
		}
		if len(c.Card.Addrs) != want {
			return fmt.Errorf("it lists %v", c.Card.Addrs)
		}
		return nil
	})
	return c
}

// heldCurrentCard reports whether n holds partner's current card, which
// lists want addresses.
func heldCurrentCard(n, partner *Node, want int) error {
	c, err := partner.Card()
	if err != nil {
		return err
	}
	if len(c.Card.Addrs) != want {
		return fmt.Errorf("%s's card lists %v, want %d addresses", partner.Participant(), c.Card.Addrs, want)
	}
	return partnerAddrs(n, partner.Participant(), c.Card.Addrs)
}

// TestCardSentOnConnect: a partner pinned from a card without addresses
// (as if the node had moved since) gets the node's current card when the
// node connects to it.
func TestCardSentOnConnect(t *testing.T) {
	be, ae := testNode(t, "BE"), testNode(t, "AE")
	pin(t, ae, be)
	c, err := ae.Card()
	if err != nil {
		t.Fatal(err)
	}
	stale := c.Card
	stale.Addrs = nil
	sc, err := protocol.SignCard(stale, ae.id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "BE holds AE's current card", func() error { return partnerAddrs(be, "AE", c.Card.Addrs) })
}

func partnerAddrs(n *Node, code string, want []string) error {
	ps, err := n.Partners()
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Code == code {
			if !slices.Equal(p.Addrs, want) {
				return fmt.Errorf("%s holds %s at %v, want %v", n.Participant(), code, p.Addrs, want)
			}
			return nil
		}
	}
	return fmt.Errorf("no partner %s", code)
}

// TestPartnerOnlyThroughProxy: BE listens on WebSocket over TLS; AE
// listens on nothing and can reach BE only at that address (its
// override) through an HTTP CONNECT proxy. AE's entry reaches BE and BE's
// receipt comes back, and every connection went through the proxy.
func TestPartnerOnlyThroughProxy(t *testing.T) {
	saved := websocket.DefaultDialer.Proxy
	t.Cleanup(func() { websocket.DefaultDialer.Proxy = saved })
	proxy := startConnectProxy(t)
	be := testNodeConfig(t, "BE", func(c *Config) { c.Listen = []string{"/ip4/127.0.0.1/tcp/0/tls/ws"} }, nil)
	ae := testNodeConfig(t, "AE", func(c *Config) { c.Listen, c.Reach.Proxy = nil, "http://"+proxy.addr() }, nil)
	pin(t, be, ae)
	pin(t, ae, be)
	wss := be.ex.Host().Network().ListenAddresses()
	var override []string
	for _, a := range wss {
		if strings.HasSuffix(a.String(), "/tls/ws") {
			override = append(override, a.String())
		}
	}
	if _, err := ae.SetPartnerAddrs("BE", override); err != nil {
		t.Fatalf("override %v: %v", override, err)
	}
	if _, err := ae.Publish(context.Background(), "notice", noticeBy(t, "AE"), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE's receipt", func() error { return delivered(ae, "BE", 1) })
	if n := proxy.connects(); n == 0 {
		t.Fatal("no connection went through the proxy")
	}
}

// connectProxy is a minimal HTTP CONNECT proxy on loopback.
type connectProxy struct {
	ln net.Listener
	n  atomic.Int64
	wg sync.WaitGroup
}

func startConnectProxy(t *testing.T) *connectProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.tunnel(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *connectProxy) addr() string { return p.ln.Addr().String() }

func (p *connectProxy) connects() int64 { return p.n.Load() }

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	p.n.Add(1)
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// TestReachSeesPartnersFromStart: the partners the exchange gives reach
// (the relay's ACL, AutoRelay's candidates, circuit addresses) are none
// while the node is only built, so that AutoRelay dials nobody before
// Start (the host exists from New), and the admitted partners once it
// runs.
func TestReachSeesPartnersFromStart(t *testing.T) {
	be := testNode(t, "BE")
	bid := be.ex.Host().ID()
	var before []peer.ID
	var admittedBefore bool
	in := testNodeWith(t, "IN", func(n *Node) {
		pin(t, n, be)
		before, admittedBefore = n.ex.Partners().Peers(), n.ex.Partners().Admits(bid)
	})
	if len(before) != 0 || admittedBefore {
		t.Fatalf("before Start reach saw %v, admitting BE %v; want none", before, admittedBefore)
	}
	if got := in.ex.Partners().Peers(); !slices.Equal(got, []peer.ID{bid}) || !in.ex.Partners().Admits(bid) {
		t.Fatalf("after Start reach sees %v, admitting BE %v; want BE", got, in.ex.Partners().Admits(bid))
	}
	if _, err := in.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	if in.ex.Partners().Admits(bid) {
		t.Fatal("reach admits a paused partner")
	}
}
