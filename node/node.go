package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
)

// Version is the kpnode version, reported in status and the libp2p user agent.
const Version = "0.1.0"

// Node is one participant authority's running node.
type Node struct {
	cfg   Config
	id    *crypto.Identity
	st    *store.Store
	log   *slog.Logger
	gater *gater
	now   func() time.Time

	// appendMu serialises appends to this node's own feed, so each draft
	// is built on the head it will be appended to.
	appendMu sync.Mutex

	// mu guards the fields below, set by Start and cleared by Close.
	mu      sync.Mutex
	host    host.Host
	card    *protocol.SignedCard
	started time.Time
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
	n := &Node{cfg: cfg, id: id, st: st, log: log, gater: newGater(), now: time.Now}
	if err := n.loadPartners(); err != nil {
		return nil, err
	}
	return n, nil
}

// Start brings up the libp2p host on the configured listen addresses and
// signs this node's card with the addresses it got.
func (n *Node) Start(ctx context.Context) error {
	h, err := newHost(n.id, n.cfg.Listen, n.gater)
	if err != nil {
		return fmt.Errorf("start libp2p host: %w", err)
	}
	card, err := n.signCard(h)
	if err != nil {
		h.Close()
		return err
	}
	n.mu.Lock()
	n.host, n.card, n.started = h, card, n.now()
	n.mu.Unlock()
	n.log.Info("node started", "participant", n.cfg.Participant, "peer", n.id.PeerID(),
		"fingerprint", n.id.Fingerprint(), "listen", hostAddrs(h))
	return nil
}

// Close stops the libp2p host. It is safe to call more than once.
func (n *Node) Close() error {
	n.mu.Lock()
	h := n.host
	n.host = nil
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Close()
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
