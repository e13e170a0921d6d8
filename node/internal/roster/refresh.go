package roster

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// RefreshCard takes a card that partner peer from sent of itself after
// its addresses changed, and reports whether it changed the stored card.
// It is accepted only when it verifies, names from as its peer, is for a
// partner pinned with exactly that key (never a new key: re-pinning is
// the operator's, repin), and differs from the stored card in its
// addresses alone. The operator's address override, if any, stays in
// force; otherwise the partner's known addresses are replaced
// ([Listener.AddrsSet]). A card equal to the stored one changes nothing.
func (r *Roster) RefreshCard(from peer.ID, cardBytes []byte) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, err := protocol.ParseCard(cardBytes)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	if sc.Card.PeerID != from.String() {
		return false, fmt.Errorf("%w: sent by peer %s, it names %s", ErrInvalidCard, from, sc.Card.PeerID)
	}
	p, err := r.Pinned(sc.Card.Code)
	if err != nil {
		return false, fmt.Errorf("refresh card of %s: %w", sc.Card.Code, err)
	}
	if p.Key != sc.Key {
		return false, fmt.Errorf("%w: partner %s is pinned with fingerprint %s, the card has %s; a sent card never replaces a pinned key",
			ErrInvalidCard, p.Code, p.Key.Fingerprint(), sc.Fingerprint())
	}
	old, err := protocol.ParseCard(p.Card)
	if err != nil {
		return false, fmt.Errorf("stored card of partner %s: %w", p.Code, err)
	}
	if bytes.Equal(old.Bytes(), sc.Bytes()) {
		return false, nil
	}
	if what := changedBesideAddrs(old.Card, sc.Card); what != "" {
		return false, fmt.Errorf("%w: partner %s's card changes its %s, not only its addresses; add the card by hand (kpnode partners add)",
			ErrInvalidCard, p.Code, what)
	}
	return true, r.storeRefreshed(p.Code, sc, from)
}

// storeRefreshed stores partner code's refreshed card, audited, and hands
// its addresses to the listeners. The caller holds r.mu.
func (r *Roster) storeRefreshed(code string, sc *protocol.SignedCard, from peer.ID) error {
	p, err := r.Pinned(code)
	if err != nil {
		return err
	}
	p.Card = sc.Bytes()
	ev := partnerAudit("partner:"+code, AuditPartnerCard, code, sc.Fingerprint(), map[string]any{"addrs": slices.Clone(sc.Card.Addrs)})
	if err := r.cfg.Store.PutPartnerAudited(p, ev); err != nil {
		return fmt.Errorf("store refreshed card of partner %s: %w", code, err)
	}
	for _, l := range r.listeners {
		l.AddrsSet(from, Addrs(p))
	}
	r.cfg.Log.Info("partner card refreshed", "partner", code, "addrs", strings.Join(sc.Card.Addrs, " "),
		"override", len(p.AddrOverride) > 0)
	return nil
}

// changedBesideAddrs names the first field other than the addresses in
// which b differs from a, "" if none.
func changedBesideAddrs(a, b protocol.Card) string {
	switch {
	case a.Version != b.Version:
		return "version"
	case a.Code != b.Code:
		return "code"
	case a.Name != b.Name:
		return "name"
	case a.PeerID != b.PeerID:
		return "peer ID"
	case a.AgeRecipient != b.AgeRecipient:
		return "age recipient"
	case !a.Created.Equal(b.Created):
		return "creation time"
	}
	return ""
}
