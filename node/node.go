package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/blobxfer"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/node/internal/ownfeed"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// pushQueueSize bounds the own entries waiting to be pushed.
const pushQueueSize = 4096

// Version is the kpnode version, reported in status and the libp2p user agent.
const Version = "0.2.0"

// Node is one participant authority's running node.
type Node struct {
	cfg       Config
	id        *crypto.Identity
	st        *store.Store
	log       *slog.Logger
	gater     *gater
	allow     *partnerAllowlist // the resource manager's allowlist on partners' addresses
	now       func() time.Time
	counters  *counters
	events    *eventLog
	delivery  *delivery
	findings  *findings
	inbox     *inboxIndex // the inbox's lists (inbox_load.go)
	valuation valuation   // the operator's unit-value table (valuation.go)
	history   *history
	// own is this node's own feed: appends, group commit, the recovery
	// gate and the end of the feed after a hand-over.
	own *ownfeed.Feed
	// retiredIDs are this node's earlier identities (set before Start).
	retiredIDs []*crypto.Identity
	rotation   *keyRotation
	// receiptCache holds partners' receipts already verified; it checks
	// the signatures of the receipts of this node's own feed only (kept as
	// proof of delivery): the others are hints of what to pull.
	receiptCache *protocol.ReceiptCache
	// frameTimeout bounds each sync frame read or write: syncFrameTimeout,
	// shortened by tests before Start.
	frameTimeout time.Duration
	// serving bounds what the node serves each partner over sync; tests
	// shrink its limits before Start.
	serving *serveLedger
	// abuse charges partners for sync misbehaviour (their app-specific
	// gossipsub score); scores keeps their scores and graylist cool-offs,
	// which last coolOff (graylistCoolOff, changed by tests before Start).
	abuse   *abuse
	scores  *scoreboard
	coolOff time.Duration

	// self are the age keys of this node with itself: its own stanza in
	// every record it seals, and the identity that opens them.
	self *roster.Keys

	// roster owns the partners, the feeds kept and the peers admitted;
	// partnerOps serves the operator's partner operations from it.
	roster *roster.Roster
	partnerOps
	// pipe takes partners' entries, pushed or pulled, into the store.
	pipe *ingest.Pipeline
	// ownWrites serialises the imports and publishes, each from its
	// check of the held records to its last append (write_turn.go).
	ownWrites *writeTurn

	// signed are the receipts this node last signed, by feed.
	signed *signedReceipts

	// live is the host and gossip Start brought up: nil before Start and
	// after Close, published whole.
	live atomic.Pointer[liveParts]
	// blobx serves and fetches attachments (attachments.go); set by Start.
	blobx atomic.Pointer[blobxfer.Exchanger]
	// blobRetry is how often pending files are asked for again:
	// blobRetryEvery unless a test shortens it before Start.
	blobRetry time.Duration
	// startup is this node's card as Start signed it and when it started;
	// kept after Close.
	startup atomic.Pointer[startInfo]

	// Set by Start, immutable until Close.
	runCtx context.Context
	cancel context.CancelFunc
	syncer *syncer
	dialer *dialer
	pushq  chan *protocol.Entry // own entries waiting to be pushed, in order
	wg     sync.WaitGroup       // goroutines started by Start
}

// New returns a node over an open store. The node does not own the store:
// the caller closes it after [Node.Close].
func New(cfg Config, id *crypto.Identity, st *store.Store, log *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, id: id, st: st, log: log, now: time.Now, abuse: newAbuse(time.Now), scores: newScoreboard(), coolOff: graylistCoolOff,
		counters: newCounters(), events: newEventLog(), history: newHistory(), delivery: newDelivery(),
		signed:       &signedReceipts{byFeed: map[crypto.PublicKey]*protocol.Receipt{}},
		receiptCache: protocol.NewReceiptCache(4096).VerifyOnly(func(feed crypto.PublicKey) bool { return feed == id.Public() }), frameTimeout: syncFrameTimeout,
		serving:  newServeLedger(defaultServeLimits(), time.Now),
		rotation: &keyRotation{restart: make(chan struct{})}, ownWrites: newWriteTurn()}
	n.allow = newPartnerAllowlist()
	n.gater = newGater(func(p peer.ID) bool { return n.scores.coolingOff(p, n.now()) }, n.counters)
	var err error
	if n.self, err = roster.NewKeys(id, id.Recipient()); err != nil {
		return nil, err
	}
	if n.findings, err = newFindings(cfg); err != nil {
		return nil, err
	}
	n.inbox = &inboxIndex{}
	n.runCtx, n.cancel = context.WithCancel(context.Background())
	n.pushq = make(chan *protocol.Entry, pushQueueSize)
	n.syncer = newSyncer(n.runCtx, syncLink{n})
	n.dialer = newDialer(hostTarget{n}, func() []peer.ID { return n.roster.Snapshot().Peers() }, n.gater.ok, log)
	n.roster = roster.New(roster.Config{Code: cfg.Participant, ID: id, Store: st, Log: log, Now: func() time.Time { return n.now() },
		Event: n.events.emit, Count: n.counters.add})
	n.partnerOps = n.roster
	n.roster.Subscribe(rosterLink{n})
	if err := n.roster.Load(); err != nil {
		return nil, err
	}
	if err := n.quarantineBadSignatures(n.runCtx); err != nil {
		return nil, err
	}
	if n.own, err = ownfeed.New(ownfeed.Config{ID: id, Store: st, Log: log, Now: func() time.Time { return n.now() },
		Announce: n.announce, Event: n.events.emit, Partners: n.roster.Stored}); err != nil {
		return nil, err
	}
	n.pipe = n.newPipeline()
	n.loadReceipts() // after the own feed: it checks receipts against the own head
	if err := n.loadOwnRetired(); err != nil {
		return nil, err
	}
	if err := n.loadAcks(); err != nil {
		return nil, err
	}
	if err := n.loadValuation(); err != nil {
		return nil, err
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.loadAtStart() }()
	return n, nil
}

// Start brings up the libp2p host on the configured listen addresses,
// joins the feed topics, serves the sync protocol and starts keeping
// partners connected and in sync. It returns once the host listens.
func (n *Node) Start(ctx context.Context) error {
	h, err := newHost(n.id, n.cfg.Listen, n.gater, n.allow)
	if err != nil {
		return fmt.Errorf("start libp2p host: %w", err)
	}
	g, err := newGossip(n.runCtx, h, &scoring{appScore: n.abuse.score, inspect: n.inspectScores})
	if err == nil {
		err = n.finishStart(h, g)
	}
	if err != nil {
		n.cancel()
		h.Close()
		return err
	}
	n.log.Info("node started", "participant", n.cfg.Participant, "peer", n.id.PeerID(),
		"fingerprint", n.id.Fingerprint(), "listen", hostAddrs(h))
	return nil
}

func (n *Node) finishStart(h host.Host, g *gossip) error {
	card, err := n.signCard(h)
	if err != nil {
		return err
	}
	n.startup.Store(&startInfo{card: card, at: n.now()})
	n.live.Store(&liveParts{host: h, gossip: g})
	if _, err := g.join(n.id.Public(), n.validate, false); err != nil {
		return err
	}
	for _, p := range n.roster.Stored() {
		if err := n.attachPartner(p); err != nil {
			return err
		}
	}
	h.SetStreamHandler(protocol.SyncProtocolID, n.handleSync)
	if err := n.startBlobs(h); err != nil { // attachments: serve /kpnode/blob/1.0.0
		return err
	}
	h.Network().Notify(n.notifee())
	n.wg.Add(4)
	go func() { defer n.wg.Done(); n.pusher() }()
	go func() { defer n.wg.Done(); n.sampler() }()
	go func() { defer n.wg.Done(); n.syncer.loop(n.cfg.SyncInterval.D()) }()
	go func() { defer n.wg.Done(); n.dialer.loop(n.runCtx) }()
	return nil
}

// Close stops the node: its sessions, dialer and subscriptions end and are
// waited for, then the host closes. It is safe to call more than once.
func (n *Node) Close() error {
	n.cancel()
	n.syncer.close()
	n.wg.Wait()
	l := n.live.Swap(nil)
	if l == nil {
		return nil
	}
	return l.host.Close()
}

// notifee triggers a sync with each partner that connects and reports
// partners lost.
func (n *Node) notifee() *network.NotifyBundle {
	return &network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if code, ok := n.roster.Snapshot().PartnerByPeer(c.RemotePeer()); ok {
				n.allow.observe(c.RemotePeer(), c.RemoteMultiaddr())
				n.roster.NewKeyConnected(code, c.RemotePeer())
				n.delivery.contact(c.RemotePeer(), n.now())
				n.events.emit("partner_connected", map[string]any{"partner": code})
				n.syncer.trigger(c.RemotePeer())
			}
		},
		DisconnectedF: func(nw network.Network, c network.Conn) {
			if code, ok := n.roster.Snapshot().PartnerByPeer(c.RemotePeer()); ok && nw.Connectedness(c.RemotePeer()) != network.Connected {
				n.events.emit("partner_lost", map[string]any{"partner": code})
			}
		},
	}
}

// Participant returns this node's participant code.
func (n *Node) Participant() string { return n.cfg.Participant }

// Identity returns the node's identity.
func (n *Node) Identity() *crypto.Identity { return n.id }

// liveParts are the host and the gossip router of a running node.
type liveParts struct {
	host   host.Host
	gossip *gossip
}

// startInfo is what Start signed and when.
type startInfo struct {
	card *protocol.SignedCard
	at   time.Time
}

// currentHost returns the running host, nil before Start and after Close.
func (n *Node) currentHost() host.Host {
	if l := n.live.Load(); l != nil {
		return l.host
	}
	return nil
}

// currentGossip returns the running gossip router, nil before Start and
// after Close.
func (n *Node) currentGossip() *gossip {
	if l := n.live.Load(); l != nil {
		return l.gossip
	}
	return nil
}

func (n *Node) hostID() peer.ID {
	if h := n.currentHost(); h != nil {
		return h.ID()
	}
	return ""
}

// connectedPartners lists the partners connected now.
func (n *Node) connectedPartners() []peer.ID {
	h := n.currentHost()
	if h == nil {
		return nil
	}
	var out []peer.ID
	for _, p := range n.roster.Snapshot().Peers() {
		if h.Network().Connectedness(p) == network.Connected {
			out = append(out, p)
		}
	}
	return out
}
