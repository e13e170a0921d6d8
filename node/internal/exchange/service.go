package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// pushQueueSize bounds the own entries waiting to be pushed.
const pushQueueSize = 4096

// Store is what the exchange reads and keeps in the node's store: the
// entries it serves, the heads it tells and checks receipts against, and
// the partners' receipts it keeps as proof of delivery. *store.Store
// implements it.
type Store interface {
	Head(feed crypto.PublicKey) (store.Head, error)
	Heads() (map[crypto.PublicKey]store.Head, error)
	Entry(feed crypto.PublicKey, seq uint64) (*protocol.Entry, error)
	RawEntries(feed crypto.PublicKey, from uint64, max int) ([]store.RawEntry, error)
	GetMeta(key string) ([]byte, error)
	PutMeta(key string, value []byte) error
	DeleteMetaAudited(key string, ev store.AuditEvent) error
}

// Roster is what the exchange asks of the roster: who is a partner, which
// feeds are kept and closed where. *roster.Roster implements it.
type Roster interface {
	Snapshot() *roster.Snapshot
	// Stored lists the pinned partners as stored.
	Stored() []store.Partner
	// NewKeyConnected notes that partner code's peer p connected (the
	// end of a hand-over's wait for the new key).
	NewKeyConnected(code string, p peer.ID)
}

// OwnFeed is what the exchange asks of this node's own feed: how far it
// is durable (served no further), and the recovery gate that partners'
// receipts feed. The node implements it over *ownfeed.Feed.
type OwnFeed interface {
	SyncedSeq() uint64
	Recovering() bool
	NoteOwnHead(code string, r protocol.Receipt)
	DropReport(code string) (protocol.Receipt, bool)
	CheckRecovered()
}

// Ingest is what the exchange does with a partner's entries, pushed or
// pulled. The node implements it over *ingest.Pipeline.
type Ingest interface {
	Push(raw []byte) ingest.Result
	PrepareAll(raws [][]byte) []ingest.Prepared
	CommitRun(preps []ingest.Prepared, accept func([]*protocol.Entry) bool) []*protocol.Entry
	Commit(p ingest.Prepared) ingest.Result
	Reject(reason string, e *protocol.Entry, err error) ingest.Result
}

// Config is what the node gives the exchange.
type Config struct {
	ID *crypto.Identity
	// SyncInterval is how often every connected partner quiet since half
	// of it is synced.
	SyncInterval time.Duration
	// UserAgent is the libp2p user agent.
	UserAgent string
	// HostOptions returns further libp2p options, applied after the
	// exchange's own (transports, NAT traversal, relays, announced
	// addresses), given the partners as the exchange admits them (a
	// relay's ACL, AutoRelay's candidates; none before Start). They must
	// not replace the identity, the gater or the resource manager. Nil:
	// none.
	HostOptions func(partners reach.Partners) ([]libp2p.Option, error)
	// PartnerConnected, when set, is called on libp2p's notification
	// goroutine for each connection of a partner, after its sync is
	// triggered; it must not block (the node sends its card).
	PartnerConnected func(p peer.ID)

	Store  Store
	Roster Roster
	Own    OwnFeed
	Ingest Ingest
	Log    *slog.Logger
	Now    func() time.Time
	// Count adds to the node's counter name; Emit reports an event.
	Count func(name string, n uint64)
	Emit  func(kind string, fields map[string]any)
}

// Tuning holds limits that tests shorten; set them with [Service.Tune]
// before Start.
type Tuning struct {
	FrameTimeout      time.Duration // each sync frame read or write
	HandshakeTimeout  time.Duration // an inbound connection's authentication
	ServeWantEntries  int           // entries served per Want
	ServeSessionBytes int64         // bytes served per session
}

// Service is the node's exchange with its partners: the libp2p host, the
// gater and allowlist, gossip (topics, validators, pusher), the dialer,
// the syncer, sync I/O (initiator and serving), receipts, peer scores,
// abuse accounting and delivery status. It exists whole from [New]: the
// host is built there without listening, [Service.Start] listens and
// starts the goroutines, [Service.Close] stops them and closes the host.
type Service struct {
	cfg   Config
	id    *crypto.Identity
	st    Store
	log   *slog.Logger
	now   func() time.Time
	count func(string, uint64)
	emit  func(string, map[string]any)

	roster Roster
	own    OwnFeed
	pipe   Ingest

	host   host.Host
	gossip *gossip
	gater  *gater
	allow  *partnerAllowlist // the resource manager's allowlist on partners' addresses

	delivery *delivery
	// receiptCache holds partners' receipts already verified; it checks
	// the signatures of the receipts of this node's own feed only (kept as
	// proof of delivery): the others are hints of what to pull.
	receiptCache *protocol.ReceiptCache
	// signed are the receipts this node last signed, by feed.
	signed *signedReceipts
	// frameTimeout bounds each sync frame read or write.
	frameTimeout time.Duration
	// serving bounds what the node serves each partner over sync.
	serving *serveLedger
	// abuse charges partners for sync misbehaviour (their app-specific
	// gossipsub score); scores keeps their scores and graylist cool-offs,
	// which last coolOff.
	abuse   *abuse
	scores  *scoreboard
	coolOff time.Duration

	runCtx context.Context
	cancel context.CancelFunc
	syncer *syncer
	dialer *dialer
	pushq  chan *protocol.Entry // own entries waiting to be pushed, in order
	wg     sync.WaitGroup       // goroutines of the service

	// started is set once Start listens: before it the partners are
	// hidden from the host options (AutoRelay dials none).
	started atomic.Bool

	mu       sync.Mutex // guards handlers
	handlers map[string]bool
}

// New builds the exchange whole: the host (not yet listening), gossip
// with peer scoring, the gater, the dialer and the syncer. Nothing
// connects before Start.
func New(cfg Config) (*Service, error) {
	s := &Service{cfg: cfg, id: cfg.ID, st: cfg.Store, log: cfg.Log, now: cfg.Now, count: cfg.Count, emit: cfg.Emit,
		roster: cfg.Roster, own: cfg.Own, pipe: cfg.Ingest,
		abuse: newAbuse(time.Now), scores: newScoreboard(), coolOff: graylistCoolOff, delivery: newDelivery(),
		signed:       &signedReceipts{byFeed: map[crypto.PublicKey]*protocol.Receipt{}},
		receiptCache: protocol.NewReceiptCache(4096).VerifyOnly(func(feed crypto.PublicKey) bool { return feed == cfg.ID.Public() }),
		frameTimeout: syncFrameTimeout, serving: newServeLedger(defaultServeLimits(), time.Now),
		allow: newPartnerAllowlist(), pushq: make(chan *protocol.Entry, pushQueueSize), handlers: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.gater = newGater(func(p peer.ID) bool { return s.scores.coolingOff(p, s.now()) }, s.count)
	s.runCtx, s.cancel = context.WithCancel(context.Background())
	h, err := s.buildHost()
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("build libp2p host: %w", err)
	}
	s.host = h
	if s.gossip, err = newGossip(s.runCtx, h, &scoring{appScore: s.abuse.score, inspect: s.inspectScores}); err != nil {
		s.cancel()
		h.Close()
		return nil, err
	}
	s.syncer = newSyncer(s.runCtx, syncLink{s})
	s.dialer = newDialer(hostTarget{h: h, partners: reachPartners{s}}, func() []peer.ID { return s.roster.Snapshot().Peers() }, s.gater.ok, s.log)
	return s, nil
}

// Tune changes the limits of t before Start (tests).
func (s *Service) Tune(t Tuning) {
	if t.FrameTimeout > 0 {
		s.frameTimeout = t.FrameTimeout
	}
	if t.HandshakeTimeout > 0 {
		s.gater.handshakes.timeout = t.HandshakeTimeout
	}
	if t.ServeWantEntries > 0 {
		s.serving.limits.wantEntries = t.ServeWantEntries
	}
	if t.ServeSessionBytes > 0 {
		s.serving.limits.sessionBytes = t.ServeSessionBytes
	}
}

// Start listens on listen (multiaddrs), joins this node's own feed
// topic and every partner's, serves the sync protocol and starts the
// pusher, the syncer and the dialer. It returns once the host listens.
func (s *Service) Start(listen []string) error {
	if err := s.host.Network().Listen(listenAddrs(listen)...); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := reach.CheckListening(s.host, listen); err != nil { // reach: a taken port is an error
		return err
	}
	s.started.Store(true)
	if _, _, err := s.gossip.join(s.id.Public(), s.validate, false); err != nil {
		return err
	}
	for _, p := range s.roster.Stored() {
		if err := s.Attach(p); err != nil {
			return err
		}
	}
	s.host.SetStreamHandler(protocol.SyncProtocolID, s.handleSync)
	s.host.Network().Notify(s.notifee())
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.pusher() }()
	go func() { defer s.wg.Done(); s.syncer.loop(s.cfg.SyncInterval) }()
	go func() { defer s.wg.Done(); s.dialer.loop(s.runCtx) }()
	return nil
}

// Close stops the sessions, the dialer and the subscriptions, waits for
// them, then closes the host. It is safe to call more than once.
func (s *Service) Close() error {
	s.cancel()
	s.syncer.close()
	s.wg.Wait()
	return s.host.Close()
}

// notifee triggers a sync with each partner that connects and reports
// partners lost. It closes a connection whose peer is no longer admitted:
// one whose handshake passed the gater before the partner was paused or
// removed is added after [Service.Paused] closed the others (seen under
// CPU load, a paused partner connected for good).
func (s *Service) notifee() *network.NotifyBundle {
	return &network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if !s.gater.ok(c.RemotePeer()) {
				_ = c.Close() // safe here: the swarm notifies the close later, from its own goroutine
				return
			}
			if code, ok := s.roster.Snapshot().PartnerByPeer(c.RemotePeer()); ok {
				s.allow.observe(c.RemotePeer(), c.RemoteMultiaddr())
				s.roster.NewKeyConnected(code, c.RemotePeer())
				s.delivery.contact(c.RemotePeer(), s.now())
				s.emit("partner_connected", map[string]any{"partner": code})
				s.syncer.trigger(c.RemotePeer())
				if s.cfg.PartnerConnected != nil {
					s.cfg.PartnerConnected(c.RemotePeer()) // reach: card refresh
				}
			}
		},
		DisconnectedF: func(nw network.Network, c network.Conn) {
			if code, ok := s.roster.Snapshot().PartnerByPeer(c.RemotePeer()); ok && !reach.Linked(nw.Connectedness(c.RemotePeer())) { // reach: relayed counts
				s.emit("partner_lost", map[string]any{"partner": code})
			}
		},
	}
}

// Host returns the libp2p host (listening once Start has returned).
func (s *Service) Host() host.Host { return s.host }

// Addrs returns the host's listen addresses with its peer ID, none before
// Start.
func (s *Service) Addrs() []string { return hostAddrs(s.host) }

// Connected reports whether peer p can be talked to now: connected
// directly, or only through a relaying partner ([reach.Linked]).
func (s *Service) Connected(p peer.ID) bool {
	return reach.Linked(s.host.Network().Connectedness(p)) // reach: a relayed partner is connected
}

// Relayed reports whether the only connection to peer p now runs through
// a relaying partner.
func (s *Service) Relayed(p peer.ID) bool {
	return s.host.Network().Connectedness(p) == network.Limited // reach: relayed
}

// ConnectedPartners lists the partners connected now, relayed included.
func (s *Service) ConnectedPartners() []peer.ID { return s.connectedPartners() }

// connectedPartners lists the partners connected now, relayed included.
func (s *Service) connectedPartners() []peer.ID {
	var out []peer.ID
	for _, p := range s.roster.Snapshot().Peers() {
		if s.Connected(p) { // reach: a relayed partner syncs
			out = append(out, p)
		}
	}
	return out
}
