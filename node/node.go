package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
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
	heads     *headSignal
	findings  *findings
	inbox     *inboxIndex // the inbox's lists (inbox_load.go)
	valuation valuation   // the operator's unit-value table (valuation.go)
	history   *history
	committer *committer
	recovery  *recovery
	// handedOver is set once this node's key has signed its hand-over:
	// it signs nothing more.
	handedOver atomic.Bool
	// retiredIDs are this node's earlier identities (set before Start).
	retiredIDs []*crypto.Identity
	rotation   *keyRotation
	// receiptCache holds partners' receipts already verified; it checks
	// the signatures of the receipts of this node's own feed only (kept as
	// proof of delivery): the others are hints of what to pull.
	receiptCache *protocol.ReceiptCache
	// cards holds the partners' stored cards already parsed.
	cards cardCache
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
	self *partnerKeys

	// appendMu serialises appends to this node's own feed, so each draft
	// is built on the head it will be appended to.
	appendMu sync.Mutex
	// ownWrites serialises the imports and publishes, each from its
	// check of the held records to its last append (write_turn.go).
	ownWrites *writeTurn
	// partnersMu serialises changes to the pinned partners (each reads the
	// stored partner and writes it back).
	partnersMu sync.Mutex

	// mu guards the fields below. feeds and peers are kept in step with
	// the pinned partners; the rest is set by Start and cleared by Close.
	mu    sync.Mutex
	feeds map[crypto.PublicKey]string // feed author -> participant code (self and partners, retired keys included)
	// closed are the retired keys' feeds, closed after a seq.
	closed map[crypto.PublicKey]closedFeed
	// retiring are partners' rotated keys whose peers stay admitted until
	// the new key connects, by code.
	retiring map[string]crypto.PublicKey
	peers    map[peer.ID]string // partner peer -> participant code
	// keys are the age keys shared with each partner, by code.
	keys map[string]*partnerKeys
	// signed are the receipts this node last signed, by feed.
	signed  map[crypto.PublicKey]*protocol.Receipt
	host    host.Host
	gossip  *gossip
	card    *protocol.SignedCard
	started time.Time

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
		counters: newCounters(), events: newEventLog(), history: newHistory(), delivery: newDelivery(), heads: newHeadSignal(),
		feeds: map[crypto.PublicKey]string{id.Public(): cfg.Participant}, peers: map[peer.ID]string{},
		closed: map[crypto.PublicKey]closedFeed{}, retiring: map[string]crypto.PublicKey{},
		keys: map[string]*partnerKeys{}, signed: map[crypto.PublicKey]*protocol.Receipt{},
		receiptCache: protocol.NewReceiptCache(4096).VerifyOnly(func(feed crypto.PublicKey) bool { return feed == id.Public() }), frameTimeout: syncFrameTimeout,
		serving:  newServeLedger(defaultServeLimits(), time.Now),
		recovery: &recovery{wait: defaultRecoveryWait}, rotation: &keyRotation{restart: make(chan struct{})}, ownWrites: newWriteTurn()}
	n.allow = newPartnerAllowlist()
	n.gater = newGater(func(p peer.ID) bool { return n.scores.coolingOff(p, n.now()) }, n.counters)
	var err error
	if n.self, err = newPartnerKeys(id, id.Recipient()); err != nil {
		return nil, err
	}
	if n.findings, err = newFindings(cfg); err != nil {
		return nil, err
	}
	n.inbox = &inboxIndex{}
	n.runCtx, n.cancel = context.WithCancel(context.Background())
	n.pushq = make(chan *protocol.Entry, pushQueueSize)
	n.syncer = newSyncer(n.runCtx, n)
	n.dialer = newDialer(n)
	if err := n.loadPartners(); err != nil {
		return nil, err
	}
	if err := n.quarantineBadSignatures(n.runCtx); err != nil {
		return nil, err
	}
	if err := n.loadRecovery(); err != nil {
		return nil, err
	}
	n.loadReceipts() // after loadRecovery: it checks receipts against the own head
	if err := n.loadOwnRetired(); err != nil {
		return nil, err
	}
	if err := n.loadAcks(); err != nil {
		return nil, err
	}
	if err := n.loadValuation(); err != nil {
		return nil, err
	}
	own, err := st.Head(id.Public())
	if err != nil {
		return nil, fmt.Errorf("read own head: %w", err)
	}
	n.committer = &committer{synced: own.Seq}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.loadFindings(); n.loadInbox() }()
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
	n.mu.Lock()
	n.host, n.gossip, n.card, n.started = h, g, card, n.now()
	n.mu.Unlock()
	if _, err := g.join(n.id.Public(), n.validate, false); err != nil {
		return err
	}
	for _, p := range n.partnerList() {
		if err := n.attachPartner(p); err != nil {
			return err
		}
	}
	h.SetStreamHandler(protocol.SyncProtocolID, n.handleSync)
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
	n.mu.Lock()
	h := n.host
	n.host, n.gossip = nil, nil
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Close()
}

// notifee triggers a sync with each partner that connects and reports
// partners lost.
func (n *Node) notifee() *network.NotifyBundle {
	return &network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if code, ok := n.partnerByPeer(c.RemotePeer()); ok {
				n.allow.observe(c.RemotePeer(), c.RemoteMultiaddr())
				n.newKeyConnected(code, c.RemotePeer())
				n.delivery.contact(c.RemotePeer(), n.now())
				n.events.emit("partner_connected", map[string]any{"partner": code})
				n.syncer.trigger(c.RemotePeer())
			}
		},
		DisconnectedF: func(nw network.Network, c network.Conn) {
			if code, ok := n.partnerByPeer(c.RemotePeer()); ok && nw.Connectedness(c.RemotePeer()) != network.Connected {
				n.events.emit("partner_lost", map[string]any{"partner": code})
			}
		},
	}
}

// Participant returns this node's participant code.
func (n *Node) Participant() string { return n.cfg.Participant }

// Identity returns the node's identity.
func (n *Node) Identity() *crypto.Identity { return n.id }

func (n *Node) currentHost() host.Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.host
}

func (n *Node) currentGossip() *gossip {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gossip
}

func (n *Node) hostID() peer.ID {
	if h := n.currentHost(); h != nil {
		return h.ID()
	}
	return ""
}

// partnerPeers lists the peer IDs of the pinned partners.
func (n *Node) partnerPeers() []peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]peer.ID, 0, len(n.peers))
	for p := range n.peers {
		out = append(out, p)
	}
	return out
}

// connectedPartners lists the partners connected now.
func (n *Node) connectedPartners() []peer.ID {
	h := n.currentHost()
	if h == nil {
		return nil
	}
	var out []peer.ID
	for _, p := range n.partnerPeers() {
		if h.Network().Connectedness(p) == network.Connected {
			out = append(out, p)
		}
	}
	return out
}
