package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/network"
)

// connectAll dials every pair of partners among nodes. Their gossip
// subscriptions may still be on their way: waitTopicPeers waits for them.
func connectAll(t testing.TB, nodes ...*Node) {
	t.Helper()
	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			if _, ok := a.roster.Snapshot().PartnerByPeer(b.ex.Host().ID()); !ok {
				continue
			}
			if err := connect(a, b); err != nil {
				t.Fatalf("connect %s-%s: %v", a.Participant(), b.Participant(), err)
			}
		}
	}
}

// counter polls until n's counter name reaches at least want.
func counter(t *testing.T, n *Node, name string, want uint64) {
	t.Helper()
	eventually(t, 20*time.Second, n.Participant()+" counts "+name, func() error {
		if got := n.counters.snapshot()[name]; got < want {
			return fmt.Errorf("%s = %d, want >= %d", name, got, want)
		}
		return nil
	})
}

// pushRaw publishes arbitrary bytes on the topic of feed's author from
// node n, bypassing every check (n's validator accepts its own publishes).
func pushRaw(t *testing.T, n *Node, feedOf *Node, data []byte) {
	t.Helper()
	topic, err := n.ex.Topic(feedOf.id.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := topic.Publish(context.Background(), data); err != nil {
		t.Fatalf("publish raw: %v", err)
	}
}

// ownEntry builds the next valid entry of n's feed without storing it.
func ownEntry(t testing.TB, n *Node, seq uint64, prev protocol.Hash, salt string) *protocol.Entry {
	t.Helper()
	ct, commitment, err := protocol.SealRecord([]byte(`{"salt":"`+salt+`"}`), []age.Recipient{n.id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(n.id, protocol.Draft{Seq: seq, Prev: prev, Time: time.Now(), Type: "notice",
		Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHostilePushes(t *testing.T) {
	in, be, evil := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, be, in)
	pin(t, in, evil)
	pin(t, evil, in)
	connectAll(t, in, be, evil)
	waitMesh(t, evil, in)

	good := ownEntry(t, evil, 1, protocol.Hash{}, "good")
	forged := append([]byte(nil), good.Bytes()...)
	forged[len(forged)-1] ^= 0xff
	pushRaw(t, evil, evil, forged)
	counter(t, in, "rejected_malformed", 1)

	publishN(t, be, 1, "IN")
	eventually(t, 20*time.Second, "IN has BE's entry", func() error { return holds(in, "BE", 1) })
	head, _ := in.st.Head(be.id.Public())
	beEntry := ownEntry(t, be, 2, head.Hash, "be") // a valid BE entry, unseen so far
	pushRaw(t, evil, evil, beEntry.Bytes())        // ... on AE's topic
	counter(t, in, "rejected_wrong_topic", 1)

	big := make([]byte, exchange.MaxPushSize+1)
	rand.Read(big)
	pushRaw(t, evil, evil, big)
	counter(t, in, "rejected_size", 1)

	pushRaw(t, evil, evil, good.Bytes())
	eventually(t, 20*time.Second, "IN stores AE's valid entry", func() error { return holds(in, "AE", 1) })
	replay := ownEntry(t, evil, 1, protocol.Hash{}, "good") // same position, new bytes: a fork
	pushRaw(t, evil, evil, replay.Bytes())
	counter(t, in, "rejected_equivocation", 1)
	if err := holds(in, "AE", 1); err != nil {
		t.Fatal(err)
	}
	// the honest partner is still served
	publishN(t, be, 1, "IN")
	eventually(t, 20*time.Second, "IN still receives BE", func() error { return holds(in, "BE", 2) })
}

// waitMesh waits until a's pushes on its own topic reach b's validator:
// b has a's topic peers.
func waitMesh(t *testing.T, a, b *Node) {
	t.Helper()
	waitTopicPeers(t, a, a, b)
}

// waitTopicPeers waits until n knows every one of to subscribed to the
// topic of feedOf's feed, so that what n pushes there reaches them.
// Message IDs are the entry's: n sends a push once, and drops it again as
// seen, so a push made before n knows a subscriber never reaches it.
func waitTopicPeers(t *testing.T, n, feedOf *Node, to ...*Node) {
	t.Helper()
	eventually(t, 20*time.Second, "gossip subscriptions", func() error {
		topic, err := n.ex.Topic(feedOf.id.Public())
		if err != nil {
			return err
		}
		peers := topic.ListPeers()
		for _, b := range to {
			if !slices.Contains(peers, b.ex.Host().ID()) {
				return fmt.Errorf("%s not yet among %s's peers of %s's topic", b.Participant(), n.Participant(), feedOf.Participant())
			}
		}
		return nil
	})
}

func TestGarbageOnSyncStream(t *testing.T) {
	in, be, evil := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, be, in)
	pin(t, in, evil)
	pin(t, evil, in)
	connectAll(t, in, be, evil)
	for i, junk := range [][]byte{
		{0xff, 0xff, 0xff, 0xff, 1}, // a 4 GiB frame announced
		{0, 0, 0, 3, 9, 9, 9},       // an unknown frame type
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	} {
		s, err := evil.ex.Host().NewStream(context.Background(), in.ex.Host().ID(), protocol.SyncProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		s.Write(junk)
		s.CloseWrite()
		s.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 1)
		for {
			if _, err := s.Read(buf); err != nil {
				break // the node answered (its hello, if any) and closed or reset
			}
		}
		s.Close()
		counter(t, in, "sync_failed", uint64(i+1))
	}
	publishN(t, be, 2, "IN")
	eventually(t, 20*time.Second, "IN still syncs with BE", func() error { return holds(in, "BE", 2) })
}

func TestNonPartnerFeedNotAccepted(t *testing.T) {
	in, be, xx := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "ZA")
	pin(t, in, be)
	pin(t, be, in)
	pin(t, be, xx)
	pin(t, xx, be)
	connectAll(t, in, be, xx)
	publishN(t, xx, 3, "BE")
	eventually(t, 20*time.Second, "BE has ZA's feed", func() error { return holds(be, "ZA", 3) })
	// a full sync with BE, which holds ZA's feed, brings nothing of it to IN
	if err := in.ex.SyncSession(context.Background(), be.ex.Host().ID()); err != nil {
		t.Fatal(err)
	}
	if h, _ := in.st.Head(xx.id.Public()); h.Seq != 0 {
		t.Fatalf("IN stored %d entries of a non-partner", h.Seq)
	}
	e, _ := be.st.Entry(xx.id.Public(), 1)
	if r := in.pipe.Ingest(e.Bytes()); r.Outcome != ingest.Rejected || r.Reason != "not_partner" {
		t.Fatalf("relayed non-partner entry: outcome %v reason %q", r.Outcome, r.Reason)
	}
	if in.ex.Host().Network().Connectedness(xx.ex.Host().ID()) == network.Connected {
		t.Fatal("a non-partner is connected")
	}
}

// TestEquivocationReportedByEveryPartner: an author's key signs two
// different entries for seq 1; both partners that see both keep the
// evidence and report it.
func TestEquivocationReportedByEveryPartner(t *testing.T) {
	nodes := mesh(t, "IN", "BE", "AE")
	in, be, ae := nodes[0], nodes[1], nodes[2]
	relay := testNode(t, "ZA") // a partner of BE and AE that relays the fork
	for _, n := range []*Node{be, ae} {
		pin(t, n, relay)
		pin(t, relay, n)
	}
	connectAll(t, in, be, ae, relay)
	publishN(t, in, 1, "all")
	eventually(t, 20*time.Second, "BE and AE hold IN's entry", func() error {
		if err := holds(be, "IN", 1); err != nil {
			return err
		}
		return holds(ae, "IN", 1)
	})
	fork := ownEntry(t, in, 1, protocol.Hash{}, "fork")
	// One push, once the relay knows both subscribed: it drops its own
	// push again as seen (pushing inside the poll pushed nothing more).
	waitTopicPeers(t, relay, in, be, ae)
	pushRaw(t, relay, in, fork.Bytes())
	eventually(t, 20*time.Second, "the fork reaches BE and AE", func() error {
		for _, n := range []*Node{be, ae} {
			s, err := n.Status()
			if err != nil {
				return err
			}
			if len(s.Equivocations) != 1 || s.Equivocations[0].Feed != "IN" || s.Equivocations[0].Seq != 1 {
				return fmt.Errorf("%s reports %+v", n.Participant(), s.Equivocations)
			}
		}
		return nil
	})
	for _, n := range []*Node{be, ae} {
		if err := holds(n, "IN", 1); err != nil {
			t.Fatalf("the fork was applied: %v", err)
		}
		if e, _ := n.st.Entry(in.id.Public(), 1); e.Hash() == fork.Hash() {
			t.Fatalf("%s kept the fork instead of the first entry", n.Participant())
		}
	}
}
