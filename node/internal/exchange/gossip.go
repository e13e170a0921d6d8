package exchange

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// topicPrefix names feed topics: one gossipsub topic per feed, named after
// the author's peer ID.
const topicPrefix = "/kpnode/feed/1/"

// MaxPushSize is the largest entry pushed over gossipsub; larger entries
// travel by sync only.
const MaxPushSize = 1 << 20

// FeedTopic is the gossipsub topic of feed k.
func FeedTopic(k crypto.PublicKey) string { return topicPrefix + k.PeerID() }

// gossip is the node's gossipsub router and the feed topics it joined.
type gossip struct {
	ps     *pubsub.PubSub
	scored bool // peer scoring is on: feed topics get score parameters

	mu     sync.Mutex // guards topics
	topics map[crypto.PublicKey]*joinedTopic
}

// joinedTopic is one joined feed topic and, for partners' feeds, the
// subscription that keeps this node in the topic's mesh.
type joinedTopic struct {
	topic *pubsub.Topic
	sub   *pubsub.Subscription
}

// newGossip starts gossipsub on h, with peer scoring when sc is not nil (a
// node's router; the attacker of the tests has none). Entries are signed
// by their authors, so pubsub's own signatures are off and message IDs are
// derived from the entry: author, seq and the hash of its bytes.
func newGossip(ctx context.Context, h host.Host, sc *scoring) (*gossip, error) {
	opts := []pubsub.Option{
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(entryMessageID),
		pubsub.WithMaxMessageSize(protocol.MaxEntrySize + 4096), // larger pushes reach the validator, which refuses and counts them
		pubsub.WithPeerOutboundQueueSize(1024),
		pubsub.WithValidateQueueSize(1024),
		pubsub.WithSeenMessagesTTL(10 * time.Minute),
		pubsub.WithFloodPublish(true),
		pubsub.WithPeerExchange(false),
		pubsub.WithGossipSubParams(gossipParams()),
	}
	if sc != nil {
		opts = append(opts, sc.options()...)
	}
	ps, err := pubsub.NewGossipSub(ctx, h, opts...)
	if err != nil {
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	return &gossip{ps: ps, scored: sc != nil, topics: map[crypto.PublicKey]*joinedTopic{}}, nil
}

// gossipParams are gossipsub's defaults with a small mesh and little
// gossip. A feed's subscribers are its author's partners, each connected
// to the author, which floods every entry to all of them (flood publish):
// relaying through the mesh only covers a partner whose link to the author
// is down, and sync covers the rest. With the default mesh (6 to 12 peers)
// every partner forwarded each entry to 6 or more others that already had
// it: in a 20-node network 6.7 transmissions per delivery, and their
// handling (TLS writes, IDONTWANTs, score lookups for each RPC) took more
// CPU than verifying and storing the entries. A mesh of 1 to 3 keeps a
// relay path (about 2.4 transmissions per delivery); gossip (IHAVE) goes
// to 2 peers outside the mesh per topic and heartbeat.
func gossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi = 2, 1, 3
	p.Dscore = 1 // kept by score when pruning: at most Dhi
	p.Dout = 0   // must be below Dlo and D/2; partners are pinned, so no Sybil quota is needed
	p.Dlazy = 2
	p.GossipFactor = 0.05
	return p
}

// entryMessageID is author (32) || seq (8) || SHA-256 of the entry bytes
// ([protocol.PushMessageID]).
func entryMessageID(m *pb.Message) string {
	return string(protocol.PushMessageID(m.GetData()))
}

// join joins the topic of feed k with validator v; subscribe keeps the node
// in the mesh (partners' feeds) and drain consumes the subscription. It
// reports whether the topic was joined now (false: joined before).
func (g *gossip) join(k crypto.PublicKey, v pubsub.ValidatorEx, subscribe bool) (*joinedTopic, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ft, ok := g.topics[k]; ok {
		return ft, false, nil
	}
	name := FeedTopic(k)
	if err := g.ps.RegisterTopicValidator(name, v); err != nil {
		return nil, false, fmt.Errorf("register validator of %s: %w", name, err)
	}
	t, err := g.ps.Join(name)
	if err != nil {
		g.ps.UnregisterTopicValidator(name)
		return nil, false, fmt.Errorf("join %s: %w", name, err)
	}
	if err := g.setScore(t); err != nil {
		t.Close()
		g.ps.UnregisterTopicValidator(name)
		return nil, false, err
	}
	ft := &joinedTopic{topic: t}
	if subscribe {
		if ft.sub, err = t.Subscribe(pubsub.WithBufferSize(1024)); err != nil {
			t.Close()
			g.ps.UnregisterTopicValidator(name)
			return nil, false, fmt.Errorf("subscribe %s: %w", name, err)
		}
	}
	g.topics[k] = ft
	return ft, true, nil
}

// setScore scores deliveries on t when the router scores peers (a node's
// does; the attacker of the tests does not).
func (g *gossip) setScore(t *pubsub.Topic) error {
	if !g.scored {
		return nil
	}
	if err := t.SetScoreParams(feedTopicScore()); err != nil {
		return fmt.Errorf("score topic %s: %w", t.String(), err)
	}
	return nil
}

// leave leaves the topic of feed k.
func (g *gossip) leave(k crypto.PublicKey) {
	g.mu.Lock()
	ft, ok := g.topics[k]
	delete(g.topics, k)
	g.mu.Unlock()
	if !ok {
		return
	}
	if ft.sub != nil {
		ft.sub.Cancel()
	}
	ft.topic.Close()
	g.ps.UnregisterTopicValidator(FeedTopic(k))
}

func (g *gossip) topic(k crypto.PublicKey) *pubsub.Topic {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ft, ok := g.topics[k]; ok {
		return ft.topic
	}
	return nil
}

// drain reads a subscription until it is cancelled: entries were already
// ingested by the validator, so the messages themselves are dropped.
func drain(ctx context.Context, sub *pubsub.Subscription) {
	for {
		if _, err := sub.Next(ctx); err != nil {
			return
		}
	}
}

// validate is the topic validator of every feed topic. It ingests the entry
// (verify, chain, store) and tells gossipsub whether to forward it.
func (n *Service) validate(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.host.ID() {
		return pubsub.ValidationAccept // our own publish, already stored
	}
	n.delivery.contact(from, n.now())
	d := m.GetData()
	if len(d) > MaxPushSize || len(d) < protocol.MinEntrySize {
		n.pipe.Reject("size", nil, nil)
		return pubsub.ValidationReject
	}
	var author crypto.PublicKey
	copy(author[:], d[1:33])
	if m.GetTopic() != FeedTopic(author) {
		n.pipe.Reject("wrong_topic", nil, nil)
		return pubsub.ValidationReject
	}
	return n.verdict(from, n.pipe.Push(d))
}

// verdict turns an ingest outcome into gossipsub's verdict. Reject, which
// costs the sender score, is only for what the sender provably should not
// have sent: a forged or malformed entry (every relay verifies before
// forwarding), or a fork pushed by its own author. Duplicates, gaps, a
// fork relayed in good faith, an author no longer pinned here and our own
// storage failures are ignored: honest but late or unlucky peers send them.
func (n *Service) verdict(from peer.ID, r ingest.Result) pubsub.ValidationResult {
	switch r.Outcome {
	case ingest.Stored:
		n.count("entries_pushed", 1)
		n.syncer.receiptDue(r.Entry.Author)
		return pubsub.ValidationAccept
	case ingest.Duplicate:
		return n.ignore()
	case ingest.Gap:
		n.syncer.trigger(from)
		return n.ignore()
	}
	n.log.Debug("pushed entry rejected", "peer", from, "reason", r.Reason, "err", r.Err)
	switch {
	case r.Reason == "malformed":
		return pubsub.ValidationReject
	case r.Reason == "equivocation" && r.Entry != nil && r.Entry.Author.PeerID() == from.String():
		return pubsub.ValidationReject
	}
	return n.ignore()
}

// ignore counts a push dropped without penalty.
func (n *Service) ignore() pubsub.ValidationResult {
	n.count("push_ignored", 1)
	return pubsub.ValidationIgnore
}

// Push queues an entry of this node's feed for the pusher, which
// publishes entries in order off the publish path (from Start on; entries
// queued before wait for it). Delivery is best effort: when the queue is
// full the push is dropped, and partners that miss an entry fetch it by
// sync.
func (n *Service) Push(e *protocol.Entry) {
	select {
	case n.pushq <- e:
	default:
		n.count("push_dropped", 1)
		n.syncer.triggerAll()
	}
}

// pusher publishes queued entries until the node stops.
func (n *Service) pusher() {
	for {
		select {
		case e := <-n.pushq:
			n.pushNow(e)
		case <-n.runCtx.Done():
			return
		}
	}
}

func (n *Service) pushNow(e *protocol.Entry) {
	if len(e.Bytes()) > MaxPushSize {
		n.syncer.triggerAll()
		return
	}
	t := n.gossip.topic(n.id.Public())
	if t == nil {
		return
	}
	if err := t.Publish(n.runCtx, e.Bytes()); err != nil {
		n.log.Warn("push entry", "seq", e.Seq, "err", err)
	}
	n.syncUnreached(t.ListPeers())
}

// syncUnreached starts a sync session with each connected partner that
// the push could not reach: one whose subscription to this node's topic
// gossipsub does not know yet (just connected) or no longer does. The
// session's hello tells the partner this node's head, and the partner pulls
// what it lacks (see serve) instead of waiting for the sync interval.
func (n *Service) syncUnreached(subscribed []peer.ID) {
	for _, p := range n.connectedPartners() {
		if !slices.Contains(subscribed, p) {
			n.count("push_unreached", 1)
			n.syncer.trigger(p)
		}
	}
}
