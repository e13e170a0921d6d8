package roster

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
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
	// Standing says why the partner is no active participant today by
	// the participant list ("VE was removed on 2012-07-01 (…)"), or is
	// empty when it is one. It is pinned all the same: its records dated
	// before still count.
	Standing string `json:"standing,omitempty"`
}

// Operations are the operator's partner operations, as the node serves
// them ([api.Backend] reaches them through the node).
type Operations interface {
	AddPartner(cardBytes []byte) (Partner, error)
	RemovePartner(code string) error
	Partners() ([]Partner, error)
	SetPartnerAddrs(code string, addrs []string) (Partner, error)
	PausePartner(code string, paused bool) (Partner, error)
	RepinPartner(code string, cardBytes []byte, validThrough uint64) (RepinResult, error)
}

var _ Operations = (*Roster)(nil)

// AddPartner pins a partner from its signed card. Re-adding the same key
// refreshes the card (new addresses); a different key for a code already
// pinned is refused until the operator removes the old partner.
func (r *Roster) AddPartner(cardBytes []byte) (Partner, error) {
	return r.addPartner(store.ActorNode, cardBytes)
}

func (r *Roster) addPartner(actor string, cardBytes []byte) (Partner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, err := protocol.ParseCard(cardBytes)
	if err != nil {
		return Partner{}, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	if err := r.checkNewPartner(sc); err != nil {
		return Partner{}, err
	}
	p := store.Partner{Code: sc.Card.Code, Card: sc.Bytes(), Key: sc.Key, Added: r.cfg.Now().UTC()}
	refreshed := false
	if old, err := r.cfg.Store.Partner(sc.Card.Code); err == nil && !old.Removed {
		p.Added, p.AddrOverride, p.Paused, refreshed = old.Added, old.AddrOverride, old.Paused, true
	}
	ev := partnerAudit(actor, AuditPartnerAdd, p.Code, sc.Fingerprint(), map[string]any{"name": sc.Card.Name, "refreshed": refreshed})
	if err := r.cfg.Store.PutPartnerAudited(p, ev); err != nil {
		return Partner{}, fmt.Errorf("pin partner %s: %w", p.Code, err)
	}
	r.track(p)
	if err := r.attach(p); err != nil {
		return Partner{}, err
	}
	r.cfg.Log.Info("partner pinned", "partner", p.Code, "fingerprint", sc.Fingerprint())
	return r.partnerView(p, sc), nil
}

func (r *Roster) checkNewPartner(sc *protocol.SignedCard) error {
	if sc.Card.Code == r.cfg.Code || sc.Key == r.cfg.ID.Public() {
		return fmt.Errorf("%w: the card is this node's own (%s)", ErrInvalidCard, sc.Card.Code)
	}
	partners, err := r.cfg.Store.Partners()
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
		case slices.ContainsFunc(p.Retired, func(k store.RetiredKey) bool { return k.Key == sc.Key }):
			return fmt.Errorf("%w: the card's key is a retired key of partner %s", ErrInvalidCard, p.Code)
		}
	}
	return nil
}

// RemovePartner unpins a partner: its connections are closed and refused
// from now on, and nothing more is encrypted to it. Its feed stays in the
// store. Removal is never undone except by adding the card again.
func (r *Roster) RemovePartner(code string) error {
	return r.removePartner(store.ActorNode, code)
}

func (r *Roster) removePartner(actor, code string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := r.cfg.Store.Partner(code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Removed) {
		return fmt.Errorf("remove partner %s: %w", code, ErrUnknownPartner)
	}
	if err != nil {
		return fmt.Errorf("remove partner %s: %w", code, err)
	}
	if err := r.cfg.Store.RemovePartnerAudited(code, partnerAudit(actor, AuditPartnerRemove, code, p.Key.Fingerprint(), nil)); err != nil {
		return fmt.Errorf("remove partner %s: %w", code, err)
	}
	r.untrack(p)
	r.cfg.Log.Info("partner removed", "partner", code)
	return nil
}

// Partners lists the pinned partners, sorted by code.
func (r *Roster) Partners() ([]Partner, error) {
	ps, err := r.cfg.Store.Partners()
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	out := make([]Partner, 0, len(ps))
	for _, p := range ps {
		sc, err := r.cards.parse(p.Card)
		if err != nil {
			return nil, fmt.Errorf("stored card of partner %s: %w", p.Code, err)
		}
		out = append(out, r.partnerView(p, sc))
	}
	return out, nil
}

// Pinned returns the stored partner of code, which must be pinned
// ([ErrUnknownParticipant], [ErrUnknownPartner] otherwise).
func (r *Roster) Pinned(code string) (store.Partner, error) {
	if !protocol.AdmissibleCode(code, false) {
		return store.Partner{}, ErrUnknownParticipant
	}
	p, err := r.cfg.Store.Partner(code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Removed) {
		return p, ErrUnknownPartner
	}
	return p, err
}

// Addrs returns the operator's address override of p, else its card's.
func Addrs(p store.Partner) []string {
	if len(p.AddrOverride) > 0 {
		return p.AddrOverride
	}
	sc, err := protocol.ParseCard(p.Card)
	if err != nil {
		return nil
	}
	return sc.Card.Addrs
}

func (r *Roster) partnerView(p store.Partner, sc *protocol.SignedCard) Partner {
	v := Partner{
		Code: p.Code, Name: sc.Card.Name, Fingerprint: sc.Fingerprint(), PeerID: sc.Card.PeerID,
		AgeRecipient: sc.Card.AgeRecipient, Addrs: slices.Clone(sc.Card.Addrs), AddrOverride: p.AddrOverride, Paused: p.Paused, Added: p.Added,
		Retired: retiredViews(p),
	}
	if r.cfg.Standing != nil {
		v.Standing = r.cfg.Standing(p.Code)
	}
	return v
}
