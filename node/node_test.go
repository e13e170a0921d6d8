package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"
)

// TestMain fails the package when goroutines outlive its tests. libp2p
// closes some of a host's workers (QUIC transports, their read and send
// loops) after Close returns, so the check polls for up to leakSettle
// before it calls them leaked: on a loaded machine goleak's own retries
// (about a second) were too short.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := settledLeaks(leakSettle); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests by %v: %v\n", leakSettle, err)
			code = 1
		}
	}
	os.Exit(code)
}

// leakSettle bounds how long TestMain waits for closed hosts' workers.
const leakSettle = 15 * time.Second

// settledLeaks polls goleak until no unexpected goroutine is left or
// within has passed, and returns its last finding.
func settledLeaks(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := goleak.Find(leakOptions...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leakOptions are the goroutines that may outlive the tests.
var leakOptions = []goleak.Option{
	// libp2p and badger keep process-wide workers alive after Close.
	goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
	goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"),
	goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
	goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
	goleak.IgnoreAnyFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
}

// testNode starts a node with an in-memory store on loopback.
func testNode(t testing.TB, code string) *Node { return testNodeWith(t, code, nil) }

// testNodeWith is testNode with setup applied to the node before it starts.
func testNodeWith(t testing.TB, code string, setup func(*Node)) *Node {
	t.Helper()
	return testNodeConfig(t, code, nil, setup)
}

// testNodeConfig is testNodeWith whose configuration configure changes
// before New (what New builds from it: the host's options, such as
// reach's, cannot change after).
func testNodeConfig(t testing.TB, code string, configure func(*Config), setup func(*Node)) *Node {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(code, "Authority "+code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	if configure != nil {
		configure(&cfg)
	}
	n, err := New(cfg, id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(n)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); st.Close() })
	return n
}

func pin(t testing.TB, a, b *Node) {
	t.Helper()
	c, err := b.Card()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddPartner(c.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func notice(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noticeBy returns the example notice as participant code's own: a node
// cannot publish a fraud notice detected by another authority.
func noticeBy(t testing.TB, code string) []byte {
	t.Helper()
	b := bytes.Replace(notice(t), []byte(`"detected_by": "IN"`), []byte(`"detected_by": "`+code+`"`), 1)
	return bytes.Replace(b, []byte(`"IN-N-2026-0031"`), []byte(`"`+code+`-N-2026-0031"`), 1)
}

func connect(a, b *Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := b.ex.Host()
	return a.ex.Host().Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
}

func connectedWithin(a, b *Node, d time.Duration, want bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		got := a.ex.Host().Network().Connectedness(b.ex.Host().ID()) == network.Connected
		if got == want {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func TestGaterAdmitsOnlyPartners(t *testing.T) {
	in, be, xx := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, be, in)
	if err := connect(in, be); err != nil {
		t.Fatalf("partners cannot connect: %v", err)
	}
	if !connectedWithin(be, in, 5*time.Second, true) {
		t.Fatal("partner connection not kept")
	}
	if err := connect(in, xx); err == nil {
		t.Fatal("dial to a stranger succeeded")
	}
	connect(xx, in) // may report success: the gated side closes it after the handshake
	if !connectedWithin(xx, in, 5*time.Second, false) || !connectedWithin(in, xx, 5*time.Second, false) {
		t.Fatal("stranger stayed connected")
	}
	// removing a partner closes and refuses its connections
	if err := in.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	if !connectedWithin(in, be, 5*time.Second, false) {
		t.Fatal("removed partner still connected")
	}
	if err := connect(in, be); err == nil {
		t.Fatal("dial to a removed partner succeeded")
	}
}

func TestPublishAudience(t *testing.T) {
	in, be, ae := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, in, ae)
	ctx := context.Background()
	p, err := in.Publish(ctx, "notice", notice(t), []string{"all"})
	if err != nil || p.Seq != 1 || len(p.Audience) != 2 || p.Audience[0] != "AE" {
		t.Fatalf("publish to all: %+v, %v", p, err)
	}
	p, err = in.Publish(ctx, "notice", notice(t), []string{"BE", "BE"})
	if err != nil || p.Seq != 2 || len(p.Audience) != 1 {
		t.Fatalf("publish to BE,BE: %+v, %v", p, err)
	}
	bad := []struct {
		to   []string
		want error
	}{
		{[]string{"XX"}, ErrUnknownParticipant},
		{[]string{"ZA"}, ErrUnknownPartner},
	}
	for _, b := range bad {
		if _, err := in.Publish(ctx, "notice", notice(t), b.to); !errors.Is(err, b.want) {
			t.Errorf("to %v: err = %v, want %v", b.to, err, b.want)
		}
	}
	if _, err := in.Publish(ctx, "notice", notice(t), []string{"IN"}); err == nil {
		t.Error("publishing to itself as audience accepted")
	}
	if _, err := in.Publish(ctx, "notice", []byte(`{"version":1}`), []string{"BE"}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("invalid record: err = %v", err)
	}
	entries, err := in.Feed("", 1, 0)
	if err != nil || len(entries) != 2 {
		t.Fatalf("feed after bad publishes: %d entries, %v; want 2", len(entries), err)
	}
	// without an audience, a notice goes to every partner (the whole KP
	// reads notices); docs/records.md, "Who reads a record"
	if p, err := in.Publish(ctx, "notice", notice(t), nil); err != nil || !slices.Equal(p.Audience, []string{"AE", "BE"}) {
		t.Fatalf("notice without an audience: %+v, %v", p, err)
	}
}

func TestAddPartnerConflicts(t *testing.T) {
	in, be, be2 := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "BE")
	pin(t, in, be)
	c2, _ := be2.Card()
	if _, err := in.AddPartner(c2.Bytes()); !errors.Is(err, ErrInvalidCard) {
		t.Fatalf("second key for BE: err = %v, want ErrInvalidCard", err)
	}
	own, _ := in.Card()
	if _, err := in.AddPartner(own.Bytes()); !errors.Is(err, ErrInvalidCard) {
		t.Fatalf("own card: err = %v", err)
	}
	c1, _ := be.Card()
	if _, err := in.AddPartner(c1.Bytes()); err != nil {
		t.Fatalf("re-adding the same card: %v", err)
	}
	if err := in.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	if _, err := in.AddPartner(c2.Bytes()); err != nil {
		t.Fatalf("re-pin after removal: %v", err)
	}
	ps, _ := in.Partners()
	if len(ps) != 1 || ps[0].Fingerprint != c2.Fingerprint() {
		t.Fatalf("partners = %+v", ps)
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig("IN", "India")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.Participant = "XX" },
		func(c *Config) { c.Participant = "TW" },
		func(c *Config) { c.Name = " " },
		func(c *Config) { c.Listen = []string{"not a multiaddr"} },
		func(c *Config) { c.API = "7441" },
		func(c *Config) { c.LogLevel = "loud" },
		func(c *Config) { c.AttachmentEagerMB = -2 },
		func(c *Config) { c.AttachmentEagerMB = 65 },
	}
	for i, mutate := range bad {
		c := DefaultConfig("IN", "India")
		mutate(&c)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("case %d: err = %v, want ErrBadConfig", i, err)
		}
	}
}
