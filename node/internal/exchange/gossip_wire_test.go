package exchange

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"google.golang.org/protobuf/proto"
)

// TestPushWireMessage checks a push as another implementation receives it
// (§12 of docs/protocol.md): a router configured as a node's (newGossip)
// publishes an entry, and a plain gossipsub router that accepts any
// message records the pubsub Message protobuf it gets. It must carry data
// and topic only (no from, seqno, signature or key), and encode to exactly
// those two fields.
func TestPushWireMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entry := readHexFile(t, "../../../protocol/testdata/entry_valid.hex")
	e, err := protocol.DecodeEntry(entry)
	if err != nil {
		t.Fatal(err)
	}
	topic := FeedTopic(e.Author)

	sender := wireHost(t)
	g, err := newGossip(ctx, sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	receiver := wireHost(t)
	// Any message is accepted, so that whatever the node sends shows.
	ps, err := pubsub.NewGossipSub(ctx, receiver, pubsub.WithMessageSignaturePolicy(pubsub.LaxNoSign),
		pubsub.WithMessageIdFn(entryMessageID))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := rt.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Connect(ctx, peer.AddrInfo{ID: receiver.ID(), Addrs: receiver.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the sender sees the receiver subscribed", func() bool { return len(st.ListPeers()) == 1 })
	if err := st.Publish(ctx, entry); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("no push received: %v", err)
	}
	m := msg.Message
	if m.From != nil || m.Seqno != nil || m.Signature != nil || m.Key != nil {
		t.Errorf("push carries from %x, seqno %x, signature %x, key %x; want none", m.From, m.Seqno, m.Signature, m.Key)
	}
	if !bytes.Equal(m.Data, entry) || m.GetTopic() != topic {
		t.Errorf("push carries data of %d bytes on topic %q; want the entry (%d bytes) on %q", len(m.Data), m.GetTopic(), len(entry), topic)
	}
	got, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// Field 2 (data) and field 4 (topic), length-delimited.
	want := protowireBytes(protowireBytes(nil, 2, entry), 4, []byte(topic))
	if !bytes.Equal(got, want) {
		t.Errorf("pubsub Message encodes to %x…, want fields 2 and 4 only: %x…", got[:min(len(got), 16)], want[:16])
	}
	if id := msg.ID; id != string(protocol.PushMessageID(entry)) {
		t.Errorf("message ID %x, want protocol.PushMessageID", id)
	}
}

// wireHost is a libp2p host on loopback TCP, closed at the end of the test.
func wireHost(t *testing.T) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.Transport(tcp.NewTCPTransport),
		libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// protowireBytes appends field num as a length-delimited protobuf field.
func protowireBytes(b []byte, num int, v []byte) []byte {
	b = append(b, byte(num<<3|2))
	for n := uint64(len(v)); ; n >>= 7 {
		if n < 0x80 {
			b = append(b, byte(n))
			break
		}
		b = append(b, byte(n)|0x80)
	}
	return append(b, v...)
}

// waitFor polls cond every 10 ms until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("not reached: %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func readHexFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return raw
}
