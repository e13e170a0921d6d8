package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"io"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	lpcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// attacker is a hostile peer for tests: its own Ed25519 identity and libp2p
// host (TCP and QUIC like a node's, but no gater), and a gossipsub router
// configured exactly like a node's (exchange.NewRouter) with no validator, so it
// publishes whatever it is given. It speaks the sync protocol through raw
// streams, and serves the sync streams a node opens to it with serve.
type attacker struct {
	id     *crypto.Identity
	h      host.Host
	ps     *pubsub.PubSub
	cancel context.CancelFunc

	mu     sync.Mutex // guards topics and serve
	topics map[string]*pubsub.Topic
	serve  func(network.Stream)
}

func newAttacker(t testing.TB) *attacker {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := lpcrypto.UnmarshalEd25519PrivateKey(id.Ed25519())
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ps, err := exchange.NewRouter(ctx, h)
	if err != nil {
		cancel()
		h.Close()
		t.Fatal(err)
	}
	a := &attacker{id: id, h: h, ps: ps, cancel: cancel, topics: map[string]*pubsub.Topic{}, serve: serveNothing}
	h.SetStreamHandler(protocol.SyncProtocolID, func(s network.Stream) {
		a.mu.Lock()
		serve := a.serve
		a.mu.Unlock()
		serve(s)
	})
	t.Cleanup(a.close)
	return a
}

func (a *attacker) close() {
	a.mu.Lock()
	for _, tp := range a.topics {
		tp.Close()
	}
	a.mu.Unlock()
	a.cancel()
	a.h.Close()
}

// card is the attacker's self-signed card, which a victim may pin.
func (a *attacker) card(t testing.TB, code string) []byte {
	t.Helper()
	var addrs []string
	for _, m := range a.h.Addrs() {
		addrs = append(addrs, m.String())
	}
	sc, err := protocol.SignCard(protocol.Card{Code: code, Name: "Hostile " + code, Addrs: addrs, Created: time.Now()}, a.id)
	if err != nil {
		t.Fatal(err)
	}
	return sc.Bytes()
}

// pinnedBy makes the attacker a pinned partner of victim, connected.
func (a *attacker) pinnedBy(t testing.TB, victim *Node, code string) {
	t.Helper()
	if _, err := victim.AddPartner(a.card(t, code)); err != nil {
		t.Fatal(err)
	}
	if err := a.connect(victim); err != nil {
		t.Fatal(err)
	}
}

func (a *attacker) connect(victim *Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := victim.ex.Host()
	return a.h.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
}

func (a *attacker) setServe(f func(network.Stream)) {
	a.mu.Lock()
	a.serve = f
	a.mu.Unlock()
}

// topic joins (once) the feed topic of author.
func (a *attacker) topic(t testing.TB, author crypto.PublicKey) *pubsub.Topic {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	name := exchange.FeedTopic(author)
	if tp, ok := a.topics[name]; ok {
		return tp
	}
	tp, err := a.ps.Join(name)
	if err != nil {
		t.Fatal(err)
	}
	a.topics[name] = tp
	return tp
}

// reaches waits until victim subscribes to the topic of author as the
// attacker sees it: flood publishing then sends to the victim.
func (a *attacker) reaches(t testing.TB, victim *Node, author crypto.PublicKey) {
	t.Helper()
	tp := a.topic(t, author)
	eventually(t, 20*time.Second, "attacker sees the victim on the topic", func() error {
		for _, p := range tp.ListPeers() {
			if p == victim.ex.Host().ID() {
				return nil
			}
		}
		return errors.New("victim not among the topic's peers")
	})
}

// publish sends data on the feed topic of author, unchecked.
func (a *attacker) publish(t testing.TB, author crypto.PublicKey, data []byte) {
	t.Helper()
	if err := a.topic(t, author).Publish(context.Background(), data); err != nil {
		t.Fatalf("attacker publish: %v", err)
	}
}

// entry signs an entry of the attacker's feed (any seq, any prev) sealed to
// recipients plus the given audience codes.
func (a *attacker) entry(t testing.TB, seq uint64, prev protocol.Hash, audience []string, rcpts []age.Recipient, salt string) *protocol.Entry {
	t.Helper()
	ct, commitment, err := protocol.SealRecord([]byte(`{"salt":"`+salt+`"}`), append(rcpts, a.id.Recipient()))
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(a.id, protocol.Draft{Seq: seq, Prev: prev, Time: time.Now(), Type: "notice",
		Audience: audience, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// recordEntry signs an entry of the attacker's feed holding record body
// of type typ, sealed to recipients and the attacker.
func (a *attacker) recordEntry(t testing.TB, seq uint64, prev protocol.Hash, typ string, body []byte, audience []string, rcpts []age.Recipient) *protocol.Entry {
	t.Helper()
	ct, commitment, err := protocol.SealRecord(body, append(rcpts, a.id.Recipient()))
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(a.id, protocol.Draft{Seq: seq, Prev: prev, Time: time.Now(), Type: typ,
		Audience: audience, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// stream opens a raw sync stream to victim.
func (a *attacker) stream(victim *Node) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.h.NewStream(ctx, victim.ex.Host().ID(), protocol.SyncProtocolID)
}

// serveNothing answers a node's pull like a partner with nothing to offer:
// hello, then End to every want, until the node says goodbye.
func serveNothing(s network.Stream) { serveHello(s, &protocol.Hello{}, nil) }

// serveHello answers a pull with hello and then, for the first want, the
// frames of answer (End when it is nil). It ends at the goodbye, at an
// error, or after a bounded time.
func serveHello(s network.Stream, hello *protocol.Hello, answer [][]byte) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := protocol.ReadFrame(s); err != nil {
		return
	}
	if err := protocol.WriteFrame(s, hello); err != nil {
		return
	}
	for {
		f, err := protocol.ReadFrame(s)
		if err != nil {
			return
		}
		w, ok := f.(*protocol.Want)
		if !ok {
			continue
		}
		if len(w.Ranges) == 0 {
			return
		}
		if answer == nil {
			if protocol.WriteFrame(s, &protocol.End{}) != nil {
				return
			}
			continue
		}
		for _, b := range answer {
			if _, err := s.Write(b); err != nil {
				return
			}
		}
		answer = nil
	}
}

// frame encodes f with its length prefix.
func frame(t testing.TB, f protocol.Frame) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := protocol.WriteFrame(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// drainStream reads s until the node ends it, within d: it returns the
// frames the node sent and the error that ended the reading.
func drainStream(t testing.TB, s network.Stream, d time.Duration) ([]protocol.Frame, error) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(d))
	var got []protocol.Frame
	for {
		f, err := protocol.ReadFrame(s)
		if err != nil {
			if errors.Is(err, network.ErrReset) || errors.Is(err, io.EOF) || isReset(err) {
				return got, err
			}
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				t.Fatalf("the node kept the stream open for more than %s", d)
			}
			return got, err
		}
		got = append(got, f)
	}
}

func isReset(err error) bool {
	var se *network.StreamError
	return errors.As(err, &se)
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// delta records counters and reports how each moved since.
type delta struct {
	n      *Node
	before map[string]uint64
}

func countersOf(n *Node) delta { return delta{n: n, before: n.counters.snapshot()} }

func (d delta) of(name string) uint64 { return d.n.counters.snapshot()[name] - d.before[name] }

// grows waits until counter name grew by at least want.
func (d delta) grows(t testing.TB, name string, want uint64) {
	t.Helper()
	eventually(t, 20*time.Second, d.n.Participant()+" counts "+name, func() error {
		if got := d.of(name); got < want {
			return fmt.Errorf("%s grew by %d, want >= %d", name, got, want)
		}
		return nil
	})
}

// rejectionsSince sums the rejected_* counters' growth.
func (d delta) rejections() uint64 {
	var sum uint64
	for k, v := range d.n.counters.snapshot() {
		if len(k) > 9 && k[:9] == "rejected_" {
			sum += v - d.before[k]
		}
	}
	return sum
}

// stillServed checks that victim keeps receiving the honest partner's
// entries: honest publishes k more and victim holds them within a deadline.
func stillServed(t testing.TB, victim, honest *Node, k int) {
	t.Helper()
	key := honest.id.Public()
	h, _ := victim.st.Head(key)
	publishN(t, honest, k, victim.Participant())
	want := h.Seq + uint64(k)
	eventually(t, 30*time.Second, victim.Participant()+" receives "+honest.Participant()+" during the attack", func() error {
		return holds(victim, honest.Participant(), want)
	})
}

// session opens a sync stream to victim as the initiator: it sends a
// hello with receipts and reads the victim's. The caller resets the
// stream.
func (a *attacker) session(t testing.TB, victim *Node, receipts ...*protocol.Receipt) network.Stream {
	t.Helper()
	s, err := a.stream(victim)
	if err != nil {
		t.Fatal(err)
	}
	s.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := s.Write(frame(t, &protocol.Hello{Receipts: receipts})); err != nil {
		t.Fatal(err)
	}
	f, err := protocol.ReadFrame(s)
	if _, ok := f.(*protocol.Hello); !ok {
		t.Fatalf("the victim answered the hello with %T, %v", f, err)
	}
	return s
}

// rawWant encodes a Want frame with its length prefix without the
// encoder's checks: overlapping ranges included.
func rawWant(ranges []protocol.Range) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+2+len(ranges)*48))
	b = append(b, byte(protocol.FrameWant))
	b = binary.BigEndian.AppendUint16(b, uint16(len(ranges)))
	for _, r := range ranges {
		b = append(b, r.Feed[:]...)
		b = binary.BigEndian.AppendUint64(b, r.From)
		b = binary.BigEndian.AppendUint64(b, r.To)
	}
	return b
}

// answer is what a victim sent back to one Want.
type answer struct {
	entries int                 // entries received
	bytes   int                 // bytes of entries received
	end     bool                // the answer ended with End
	err     *protocol.SyncError // the victim's Error frame, if it sent one
	closed  error               // the error that ended reading, if not End
}

// readAnswer reads the victim's answer to one Want: Entries frames until
// End, an Error, or the end of the stream.
func readAnswer(t testing.TB, s network.Stream) answer {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(20 * time.Second))
	var a answer
	for {
		f, err := protocol.ReadFrame(s)
		if err != nil {
			if isTimeout(err) {
				t.Fatal("the victim neither answered nor ended the stream within 20 s")
			}
			a.closed = err
			return a
		}
		switch f := f.(type) {
		case *protocol.Entries:
			a.entries += len(f.Entries)
			for _, e := range f.Entries {
				a.bytes += len(e)
			}
		case *protocol.End:
			a.end = true
			return a
		case *protocol.SyncError:
			a.err = f
		default:
			t.Fatalf("the victim answered a want with %T", f)
		}
	}
}

// receipt signs the attacker's receipt of feed at seq with hash at t.
func (a *attacker) receipt(t testing.TB, feed crypto.PublicKey, seq uint64, hash protocol.Hash, at time.Time) *protocol.Receipt {
	t.Helper()
	r, err := protocol.NewReceipt(a.id, feed, seq, hash, at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// vouchedForgery returns the attacker's entries 1 and 2 for victim, entry
// 1 with a broken signature and entry 2 validly signed and chained to it,
// and the attacker's receipt for entry 2.
func (a *attacker) vouchedForgery(t testing.TB, victim *Node) ([][]byte, *protocol.Receipt) {
	t.Helper()
	toVictim := []age.Recipient{victim.id.Recipient()}
	e1 := a.entry(t, 1, protocol.Hash{}, []string{victim.cfg.Participant}, toVictim, "one")
	forged := bytes.Clone(e1.Bytes())
	forged[len(forged)-1] ^= 0xff
	e2 := a.entry(t, 2, sha256.Sum256(forged), []string{victim.cfg.Participant}, toVictim, "two")
	r2, err := protocol.NewReceipt(a.id, a.id.Public(), 2, e2.Hash(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{forged, e2.Bytes()}, r2
}
