package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/internal/buildinfo"
	"github.com/kpnode/kpnode/node/internal/blobxfer"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/node/internal/ownfeed"
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p"
	"github.com/prometheus/client_golang/prometheus"
)

// Version is the kpnode version, reported in status and the libp2p user
// agent: the commit it was built from ([buildinfo.Version]).
var Version = buildinfo.Version()

// Node is one participant authority's running node.
type Node struct {
	cfg       Config
	id        *crypto.Identity
	st        *store.Store
	log       *slog.Logger
	now       func() time.Time
	counters  *counters
	events    *eventLog
	findings  *findings
	inbox     *inboxIndex // the inbox's lists (inbox_load.go)
	valuation valuation   // the operator's unit-value table (valuation.go)
	members   membership  // the participant list as data (membership.go)
	history   *history
	// own is this node's own feed: appends, group commit, the recovery
	// gate and the end of the feed after a hand-over.
	own *ownfeed.Feed
	// retiredIDs are this node's earlier identities (set before Start).
	retiredIDs []*crypto.Identity
	rotation   *keyRotation

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
	// ex is the exchange with the partners (host, gossip, sync, receipts,
	// scores): built whole by New, listening from Start.
	ex *exchange.Service

	// blobx serves and fetches attachments (attachments.go); set by Start.
	blobx atomic.Pointer[blobxfer.Exchanger]
	// blobRetry is how often pending files are asked for again:
	// blobRetryEvery unless a test shortens it before Start.
	blobRetry time.Duration
	// blobLeases keeps the blobs a publish is checking from the
	// collection pass (blob_gc.go).
	blobLeases blobLeases
	// unreach keeps since when each partner has been unreachable and
	// warns past reach.Config.UnreachableAfter.
	unreach *reach.Unreachable // reach: unreachable partners
	// cards bounds how often each partner's sent card is taken.
	cards *reach.CardGate // reach: card refresh
	// cardOut orders the sends of this node's card to each partner.
	cardOut *cardSender // reach: card refresh

	// startup is this node's card as Start signed it and when it started;
	// nil before Start, kept after Close.
	startup atomic.Pointer[startInfo]

	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the node's own goroutines (sampler, start-up load, hand-overs)
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
	n := &Node{cfg: cfg, id: id, st: st, log: log, now: time.Now,
		counters: newCounters(), events: newEventLog(), history: newHistory(),
		rotation: &keyRotation{restart: make(chan struct{})}, ownWrites: newWriteTurn()}
	n.unreach = reach.NewUnreachable(cfg.Reach.UnreachableAfter.D(), log.With("component", "reach")) // reach: unreachable partners
	n.cards = reach.NewCardGate()                                                                    // reach: card refresh
	n.cardOut = newCardSender()                                                                      // reach: card refresh
	var err error
	if n.self, err = roster.NewKeys(id, id.Recipient()); err != nil {
		return nil, err
	}
	if n.findings, err = newFindings(cfg); err != nil {
		return nil, err
	}
	n.inbox = &inboxIndex{}
	n.runCtx, n.cancel = context.WithCancel(context.Background())
	n.roster = roster.New(roster.Config{Code: cfg.Participant, ID: id, Store: st, Log: log, Now: func() time.Time { return n.now() },
		Event: n.events.emit, Count: n.counters.add, Standing: n.partnerStanding})
	n.partnerOps = n.roster
	if n.ex, err = exchange.New(n.exchangeConfig()); err != nil {
		n.cancel()
		return nil, err
	}
	if err := n.ex.Handle(reach.CardProtocolID, n.handleCard); err != nil { // reach: card refresh
		n.fail()
		return nil, err
	}
	n.roster.Subscribe(rosterLink{n})
	if err := n.roster.Load(); err != nil {
		n.fail()
		return nil, err
	}
	if err := n.quarantineBadSignatures(n.runCtx); err != nil {
		n.fail()
		return nil, err
	}
	if n.own, err = ownfeed.New(ownfeed.Config{ID: id, Store: st, Log: log, Now: func() time.Time { return n.now() },
		Announce: n.announce, Event: n.events.emit, Partners: n.roster.Stored}); err != nil {
		n.fail()
		return nil, err
	}
	n.pipe = n.newPipeline()
	n.ex.LoadReceipts() // after the own feed: it checks receipts against the own head
	if err := n.loadOwnRetired(); err != nil {
		n.fail()
		return nil, err
	}
	if err := n.loadAcks(); err != nil {
		n.fail()
		return nil, err
	}
	if err := n.loadValuation(); err != nil {
		n.fail()
		return nil, err
	}
	if err := n.loadMembership(); err != nil {
		n.fail()
		return nil, err
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.loadAtStart() }()
	return n, nil
}

// fail releases what a New that fails has built.
func (n *Node) fail() {
	n.cancel()
	n.ex.Close()
}

// exchangeConfig is the exchange's view of this node: its store, roster,
// own feed and ingest pipeline, clock, counters and events.
func (n *Node) exchangeConfig() exchange.Config {
	return exchange.Config{ID: n.id, SyncInterval: n.cfg.SyncInterval.D(), UserAgent: "kpnode/" + Version,
		Store: n.st, Roster: n.roster, Own: ownLink{n}, Ingest: ingestLink{n}, Log: n.log,
		Now: func() time.Time { return n.now() }, Count: n.counters.add, Emit: n.events.emit,
		HostOptions: func(partners reach.Partners) ([]libp2p.Option, error) { // reach: NAT, relay, announce
			return reach.HostOptions(n.cfg.Reach, n.cfg.Listen, n.cfg.Announce, partners)
		},
		PartnerConnected: n.sendCard} // reach: card refresh
}

// Start brings up the libp2p host on the configured listen addresses,
// joins the feed topics, serves the sync protocol and starts keeping
// partners connected and in sync. It returns once the host listens.
func (n *Node) Start(ctx context.Context) error {
	if err := n.ex.Start(n.cfg.Listen); err != nil {
		n.fail()
		return fmt.Errorf("start libp2p host: %w", err)
	}
	card, err := n.signCard(n.ex.Host())
	if err != nil {
		n.fail()
		return err
	}
	n.startup.Store(&startInfo{card: card, at: n.now()})
	n.cautionAnnounce()                    // reach: announce addresses partners elsewhere cannot dial
	if err := n.startBlobs(); err != nil { // attachments: serve /kpnode/blob/1.0.0 through the exchange
		n.fail()
		return err
	}
	n.wg.Add(3)
	go func() { defer n.wg.Done(); n.watchAddrs() }()                                                // reach: card refresh
	go func() { defer n.wg.Done(); n.unreach.Run(n.runCtx, n.ex.Host(), n.ex.Partners(), n.code) }() // reach: unreachable partners
	go func() { defer n.wg.Done(); n.sampler() }()
	n.log.Info("node started", "participant", n.cfg.Participant, "peer", n.id.PeerID(),
		"fingerprint", n.id.Fingerprint(), "listen", n.ex.Addrs())
	return nil
}

// Close stops the node: its sessions, dialer and subscriptions end and are
// waited for, then the host closes, and the membership index is marked
// complete (the store must still be open). It is safe to call more than
// once.
func (n *Node) Close() error {
	n.cancel()
	err := n.ex.Close()
	n.wg.Wait()
	return errors.Join(err, n.closeMembershipIndex())
}

// Participant returns this node's participant code.
func (n *Node) Participant() string { return n.cfg.Participant }

// Identity returns the node's identity.
func (n *Node) Identity() *crypto.Identity { return n.id }

// startInfo is what Start signed and when.
type startInfo struct {
	card *protocol.SignedCard
	at   time.Time
}

// started reports whether Start has brought the exchange up.
func (n *Node) started() bool { return n.startup.Load() != nil }

// ownLink is the exchange's view of this node's own feed.
type ownLink struct{ n *Node }

func (o ownLink) SyncedSeq() uint64                               { return o.n.own.SyncedSeq() }
func (o ownLink) Recovering() bool                                { return o.n.own.Recovering() }
func (o ownLink) NoteOwnHead(code string, r protocol.Receipt)     { o.n.own.NoteOwnHead(code, r) }
func (o ownLink) DropReport(code string) (protocol.Receipt, bool) { return o.n.own.DropReport(code) }
func (o ownLink) CheckRecovered()                                 { o.n.own.CheckRecovered() }

// ingestLink is the exchange's way into this node's ingest pipeline.
type ingestLink struct{ n *Node }

func (l ingestLink) Push(raw []byte) ingest.Result              { return l.n.pipe.Push(raw) }
func (l ingestLink) PrepareAll(raws [][]byte) []ingest.Prepared { return l.n.pipe.PrepareAll(raws) }
func (l ingestLink) Commit(p ingest.Prepared) ingest.Result     { return l.n.pipe.Commit(p) }
func (l ingestLink) CommitRun(preps []ingest.Prepared, accept func([]*protocol.Entry) bool) []*protocol.Entry {
	return l.n.pipe.CommitRun(preps, accept)
}
func (l ingestLink) Reject(reason string, e *protocol.Entry, err error) ingest.Result {
	return l.n.pipe.Reject(reason, e, err)
}

// PeerScore is what gossipsub's peer scoring holds against one partner, as
// last read (every second).
type PeerScore = exchange.PeerScore

// RegisterResourceMetrics registers libp2p's resource-manager metrics
// with reg ([exchange.RegisterResourceMetrics]).
func RegisterResourceMetrics(reg prometheus.Registerer) { exchange.RegisterResourceMetrics(reg) }

// AuditReceiptDrop is the audit action of a stored receipt dropped at
// start because it does not hold against this node's feed.
const AuditReceiptDrop = exchange.AuditReceiptDrop
