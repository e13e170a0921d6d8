package node

import (
	"context"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Status is a snapshot of the node for operators.
type Status struct {
	Participant string          `json:"participant"`
	Name        string          `json:"name"`
	Fingerprint string          `json:"fingerprint"`
	PeerID      string          `json:"peer_id"`
	Version     string          `json:"version"`
	Started     time.Time       `json:"started"`
	Listen      []string        `json:"listen"`
	Partners    []PartnerStatus `json:"partners"`
	Feeds       []FeedHead      `json:"feeds"`
}

// PartnerStatus is a partner's line in [Status].
type PartnerStatus struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Connected   bool   `json:"connected"`
}

// FeedHead is the latest entry this node holds of one feed.
type FeedHead struct {
	Author string        `json:"author"`
	Seq    uint64        `json:"seq"`
	Hash   protocol.Hash `json:"hash"`
	Time   time.Time     `json:"time,omitzero"`
}

// Status reports identity, listen addresses, partners and feed heads.
func (n *Node) Status() (Status, error) {
	n.mu.Lock()
	h, started := n.host, n.started
	n.mu.Unlock()
	s := Status{Participant: n.cfg.Participant, Name: n.cfg.Name, Fingerprint: n.id.Fingerprint(),
		PeerID: n.id.PeerID(), Version: Version, Started: started, Listen: hostAddrs(h)}
	partners, err := n.Partners()
	if err != nil {
		return s, err
	}
	for _, p := range partners {
		ps := PartnerStatus{Code: p.Code, Name: p.Name, Fingerprint: p.Fingerprint}
		if id, err := peer.Decode(p.PeerID); err == nil && h != nil {
			ps.Connected = h.Network().Connectedness(id) == network.Connected
		}
		s.Partners = append(s.Partners, ps)
	}
	s.Feeds, err = n.feedHeads(partners)
	return s, err
}

func (n *Node) feedHeads(partners []Partner) ([]FeedHead, error) {
	codes := map[crypto.PublicKey]string{n.id.Public(): n.cfg.Participant}
	for _, p := range partners {
		if k, err := crypto.PublicKeyFromPeerID(p.PeerID); err == nil {
			codes[k] = p.Code
		}
	}
	heads := make([]FeedHead, 0, len(codes))
	for k, code := range codes {
		h, err := n.st.Head(k)
		if err != nil {
			return nil, fmt.Errorf("read head of %s: %w", code, err)
		}
		heads = append(heads, FeedHead{Author: code, Seq: h.Seq, Hash: h.Hash, Time: h.Time})
	}
	sortHeads(heads, n.cfg.Participant)
	return heads, nil
}

// Verify re-checks every stored chain and signature.
func (n *Node) Verify(ctx context.Context) (store.VerifyReport, error) {
	return n.st.Verify(ctx)
}

// Card returns this node's signed card, made at Start with the host's
// addresses.
func (n *Node) Card() (*protocol.SignedCard, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.card == nil {
		return nil, fmt.Errorf("card: node not started")
	}
	return n.card, nil
}
