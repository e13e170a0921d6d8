package node

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Partner is a pinned partner as operators see it.
type Partner struct {
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Fingerprint  string    `json:"fingerprint"`
	PeerID       string    `json:"peer_id"`
	AgeRecipient string    `json:"age_recipient"`
	Addrs        []string  `json:"addrs"`
	AddrOverride []string  `json:"addr_override,omitempty"`
	Paused       bool      `json:"paused"`
	Added        time.Time `json:"added"`
	// Retired are the partner's earlier keys, oldest first.
	Retired []RetiredKeyView `json:"retired,omitempty"`
}

// AddPartner pins a partner from its signed card. Re-adding the same key
// refreshes the card (new addresses); a different key for a code already
// pinned is refused until the operator removes the old partner.
func (n *Node) AddPartner(cardBytes []byte) (Partner, error) {
	n.partnersMu.Lock()
	defer n.partnersMu.Unlock()
	sc, err := protocol.ParseCard(cardBytes)
	if err != nil {
		return Partner{}, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	if err := n.checkNewPartner(sc); err != nil {
		return Partner{}, err
	}
	p := store.Partner{Code: sc.Card.Code, Card: sc.Bytes(), Key: sc.Key, Added: n.now().UTC()}
	refreshed := false
	if old, err := n.st.Partner(sc.Card.Code); err == nil && !old.Removed {
		p.Added, p.AddrOverride, p.Paused, refreshed = old.Added, old.AddrOverride, old.Paused, true
	}
	ev := partnerAudit(AuditPartnerAdd, p.Code, sc.Fingerprint(), map[string]any{"name": sc.Card.Name, "refreshed": refreshed})
	if err := n.st.PutPartnerAudited(p, ev); err != nil {
		return Partner{}, fmt.Errorf("pin partner %s: %w", p.Code, err)
	}
	n.trackPartner(p)
	if n.currentHost() != nil {
		if err := n.attachPartner(p); err != nil {
			return Partner{}, err
		}
	}
	n.log.Info("partner pinned", "partner", p.Code, "fingerprint", sc.Fingerprint())
	return partnerView(p, sc), nil
}

func (n *Node) checkNewPartner(sc *protocol.SignedCard) error {
	if sc.Card.Code == n.cfg.Participant || sc.Key == n.id.Public() {
		return fmt.Errorf("%w: the card is this node's own (%s)", ErrInvalidCard, sc.Card.Code)
	}
	partners, err := n.st.Partners()
	if err != nil {
		return err
	}
	for _, p := range partners {
		switch {
		case p.Code == sc.Card.Code && p.Key != sc.Key:
			return fmt.Errorf("%w: partner %s is already pinned with fingerprint %s, the card has %s; remove the partner first to re-pin it",
				ErrInvalidCard, p.Code, p.Key.Fingerprint(), sc.Fingerprint())
		case p.Code != sc.Card.Code && p.Key == sc.Key:
			return fmt.Errorf("%w: the card's key is already pinned as partner %s", ErrInvalidCard, p.Code)
		case slices.ContainsFunc(p.Retired, func(r store.RetiredKey) bool { return r.Key == sc.Key }):
			return fmt.Errorf("%w: the card's key is a retired key of partner %s", ErrInvalidCard, p.Code)
		}
	}
	return nil
}

// RemovePartner unpins a partner: its connections are closed and refused
// from now on, and nothing more is encrypted to it. Its feed stays in the
// store. Removal is never undone except by adding the card again.
func (n *Node) RemovePartner(code string) error {
	n.partnersMu.Lock()
	defer n.partnersMu.Unlock()
	p, err := n.st.Partner(code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Removed) {
		return fmt.Errorf("remove partner %s: %w", code, ErrUnknownPartner)
	}
	if err != nil {
		return fmt.Errorf("remove partner %s: %w", code, err)
	}
	if err := n.st.RemovePartnerAudited(code, partnerAudit(AuditPartnerRemove, code, p.Key.Fingerprint(), nil)); err != nil {
		return fmt.Errorf("remove partner %s: %w", code, err)
	}
	n.detachPartner(p)
	n.log.Info("partner removed", "partner", code)
	return nil
}

// Partners lists the pinned partners, sorted by code.
func (n *Node) Partners() ([]Partner, error) {
	ps, err := n.st.Partners()
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	out := make([]Partner, 0, len(ps))
	for _, p := range ps {
		sc, err := n.cards.parse(p.Card)
		if err != nil {
			return nil, fmt.Errorf("stored card of partner %s: %w", p.Code, err)
		}
		out = append(out, partnerView(p, sc))
	}
	return out, nil
}

// loadPartners tracks every pinned partner.
func (n *Node) loadPartners() error {
	ps, err := n.st.Partners()
	if err != nil {
		return fmt.Errorf("load partners: %w", err)
	}
	for _, p := range ps {
		n.trackPartner(p)
		for _, r := range p.Retired {
			// A crash may have come between a re-pin and its truncation.
			if _, err := n.closeRetired(p.Code, r.Key, r.ValidThrough, refusedReason(r.Reason)); err != nil {
				return err
			}
		}
	}
	return nil
}

// partnerList returns the pinned partners as stored.
func (n *Node) partnerList() []store.Partner {
	ps, err := n.st.Partners()
	if err != nil {
		n.log.Warn("list partners", "err", err)
	}
	return ps
}

// trackPartner admits a partner: its feed is accepted and its peer may
// connect.
func (n *Node) trackPartner(p store.Partner) {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return
	}
	var keys *partnerKeys
	if sc, err := protocol.ParseCard(p.Card); err == nil {
		if keys, err = newPartnerKeys(n.id, sc.Recipient()); err != nil {
			n.log.Warn("partner's age key is unusable; nothing will be sealed to it", "partner", p.Code, "err", err)
		}
	}
	n.mu.Lock()
	n.feeds[p.Key] = p.Code
	for _, r := range p.Retired {
		n.feeds[r.Key] = p.Code
		n.closed[r.Key] = closedFeed{validThrough: r.ValidThrough, reason: r.Reason}
	}
	n.peers[pid] = p.Code
	if keys != nil {
		n.keys[p.Code] = keys
	}
	n.mu.Unlock()
	n.inbox.invalidate() // the partner's feeds have a code now
	n.gater.allow(pid)
	n.gater.pause(pid, p.Paused)
	n.allow.setAddrs(pid, partnerAddrs(p))
}

// attachPartner gives the running host the partner's addresses, protects
// its connections from the connection manager's trimming, joins its feed
// topic and makes it due for a dial.
func (n *Node) attachPartner(p store.Partner) error {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	h := n.currentHost()
	setAddrs(h, pid, partnerAddrs(p))
	h.ConnManager().Protect(pid, partnerTag)
	ft, err := n.currentGossip().join(p.Key, n.validate, true)
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); drain(n.runCtx, ft.sub) }()
	n.dialer.now(pid)
	return nil
}

// detachPartner forgets a removed partner: its feed is refused, its topic
// left and its connections closed.
func (n *Node) detachPartner(p store.Partner) {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return
	}
	n.mu.Lock()
	delete(n.feeds, p.Key)
	for _, r := range p.Retired {
		delete(n.feeds, r.Key)
		delete(n.closed, r.Key)
	}
	delete(n.peers, pid)
	delete(n.keys, p.Code)
	n.mu.Unlock()
	n.inbox.invalidate() // the partner's feeds have no code now
	n.gater.deny(pid)
	n.allow.forget(pid)
	n.delivery.forget(pid)
	n.abuse.forget(pid)
	n.serving.forget(pid)
	n.scores.forget(pid)
	if g := n.currentGossip(); g != nil {
		g.leave(p.Key)
	}
	if h := n.currentHost(); h != nil {
		h.ConnManager().Unprotect(pid, partnerTag)
		h.Network().ClosePeer(pid)
	}
}

// partnerTag marks partners' connections in the connection manager as
// protected: they are never trimmed, whatever else connects.
const partnerTag = "kpnode-partner"

// partnerAddrs returns the operator's address override, else the card's.
func partnerAddrs(p store.Partner) []string {
	if len(p.AddrOverride) > 0 {
		return p.AddrOverride
	}
	sc, err := protocol.ParseCard(p.Card)
	if err != nil {
		return nil
	}
	return sc.Card.Addrs
}

func partnerView(p store.Partner, sc *protocol.SignedCard) Partner {
	return Partner{
		Code: p.Code, Name: sc.Card.Name, Fingerprint: sc.Fingerprint(), PeerID: sc.Card.PeerID,
		AgeRecipient: sc.Card.AgeRecipient, Addrs: slices.Clone(sc.Card.Addrs), AddrOverride: p.AddrOverride, Paused: p.Paused, Added: p.Added,
		Retired: retiredViews(p),
	}
}
