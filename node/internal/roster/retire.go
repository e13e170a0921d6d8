package roster

import (
	"errors"
	"fmt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Reasons a key is retired, kept in store.RetiredKey.Reason and in the
// refused-entry evidence.
const (
	RetiredRotated     = "rotated"     // the key signed a hand-over to its successor
	RetiredCompromised = "compromised" // the operator re-pinned the partner from a new card
)

// RetiredKeyView is a partner's retired key as operators see it.
type RetiredKeyView struct {
	Fingerprint  string `json:"fingerprint"`
	ValidThrough uint64 `json:"valid_through"`
	Reason       string `json:"reason"`
}

// RepinResult is what [Roster.RepinPartner] did.
type RepinResult struct {
	Partner Partner `json:"partner"`
	// OldFingerprint is the compromised key's; its feed is closed after
	// ValidThrough, and TakenOut entries already stored after it were
	// moved out of the feed into the refused-entry evidence.
	OldFingerprint string `json:"old_fingerprint"`
	ValidThrough   uint64 `json:"valid_through"`
	TakenOut       int    `json:"taken_out"`
}

// RepinPartner replaces a pinned partner's key with the one on a new card
// received out of band, after its old key was compromised. Entries of the
// old key up to validThrough stay in its feed and keep verifying; entries
// after it are refused from now on (kept as evidence), and those already
// stored are taken out of the feed. The card must be partner code's.
func (r *Roster) RepinPartner(code string, cardBytes []byte, validThrough uint64) (RepinResult, error) {
	return r.repinPartner(store.ActorNode, code, cardBytes, validThrough)
}

func (r *Roster) repinPartner(actor, code string, cardBytes []byte, validThrough uint64) (RepinResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, err := protocol.ParseCard(cardBytes)
	if err != nil {
		return RepinResult{}, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	if sc.Card.Code != code {
		return RepinResult{}, fmt.Errorf("%w: the card is %s's, not %s's", ErrInvalidCard, sc.Card.Code, code)
	}
	old, err := r.cfg.Store.Partner(sc.Card.Code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && old.Removed) {
		return RepinResult{}, fmt.Errorf("re-pin partner %s: %w (add it with kpnode partners add)", sc.Card.Code, ErrUnknownPartner)
	}
	if err != nil {
		return RepinResult{}, fmt.Errorf("re-pin partner %s: %w", sc.Card.Code, err)
	}
	if err := r.checkSuccessor(old, sc); err != nil {
		return RepinResult{}, err
	}
	extra := map[string]any{"old_fingerprint": old.Key.Fingerprint(), "valid_through": validThrough}
	p, err := r.retireKey(old, sc, validThrough, RetiredCompromised, partnerAudit(actor, AuditPartnerRepin, old.Code, sc.Fingerprint(), extra))
	if err != nil {
		return RepinResult{}, err
	}
	if err := r.attach(p); err != nil {
		return RepinResult{}, err
	}
	taken, err := r.closeRetired(p.Code, old.Key, validThrough, RefusedReason(RetiredCompromised))
	if err != nil {
		return RepinResult{}, err
	}
	r.cfg.Log.Warn("partner re-pinned after a compromise", "partner", p.Code, "old", old.Key.Fingerprint(),
		"new", sc.Fingerprint(), "valid_through", validThrough, "taken_out", taken)
	r.cfg.Event("partner_repinned", map[string]any{"partner": p.Code, "valid_through": validThrough, "taken_out": taken})
	return RepinResult{Partner: r.partnerView(p, sc), OldFingerprint: old.Key.Fingerprint(), ValidThrough: validThrough, TakenOut: taken}, nil
}

// checkSuccessor refuses a new card that is not a new key for old's code.
func (r *Roster) checkSuccessor(old store.Partner, sc *protocol.SignedCard) error {
	if sc.Key == old.Key {
		return fmt.Errorf("%w: the card has partner %s's current key %s; a re-pin needs the new card", ErrInvalidCard, old.Code, sc.Fingerprint())
	}
	if sc.Key == r.cfg.ID.Public() {
		return fmt.Errorf("%w: the card is this node's own", ErrInvalidCard)
	}
	if code, ok := r.Snapshot().FeedCode(sc.Key); ok {
		return fmt.Errorf("%w: the card's key is already known as partner %s's", ErrInvalidCard, code)
	}
	return nil
}

// retireKey stores old's successor card sc with old's key retired after
// validThrough, audited as ev, and moves the roster to the new key: the
// new peer is admitted (the caller attaches it). A compromised
// key's peer is refused and disconnected at once; a rotated key's peer
// stays admitted until the new key first connects, so it can collect the
// receipts of its hand-over (it signs nothing that would be accepted).
// The caller holds r.mu.
func (r *Roster) retireKey(old store.Partner, sc *protocol.SignedCard, validThrough uint64, reason string, ev store.AuditEvent) (store.Partner, error) {
	p := old
	p.Key, p.Card = sc.Key, sc.Bytes()
	p.Retired = append(p.Retired[:len(p.Retired):len(p.Retired)], store.RetiredKey{
		Key: old.Key, Card: old.Card, ValidThrough: validThrough, Reason: reason, Retired: r.cfg.Now().UTC()})
	p.AddrOverride = nil // the old override named the old peer
	r.trackClosed(old.Key, old.Code, Closed{ValidThrough: validThrough, Reason: reason})
	if err := r.cfg.Store.PutPartnerAudited(p, ev); err != nil {
		return store.Partner{}, fmt.Errorf("re-pin partner %s: %w", p.Code, err)
	}
	if reason == RetiredRotated {
		r.change(func(s *Snapshot) { s.retiring[p.Code] = old.Key })
	} else {
		r.forgetPeer(old.Key)
	}
	r.track(p)
	return p, nil
}

// NewKeyConnected refuses, once partner code's new key has connected as
// peer p, the peer of the key it rotated from.
func (r *Roster) NewKeyConnected(code string, p peer.ID) {
	if old, ok := r.Snapshot().retiring[code]; !ok || old.PeerID() == p.String() {
		return // the common case: no rotation in progress, no lock taken
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.Snapshot().retiring[code]
	if !ok || old.PeerID() == p.String() {
		return
	}
	r.change(func(s *Snapshot) { delete(s.retiring, code) })
	r.forgetPeer(old)
}

// closeRetired takes the entries of a retired feed after validThrough out
// of the feed, kept as evidence with reason.
func (r *Roster) closeRetired(code string, k crypto.PublicKey, validThrough uint64, reason string) (int, error) {
	taken, err := r.cfg.Store.TruncateFeed(k, validThrough, reason)
	if err != nil {
		return taken, fmt.Errorf("close the retired feed of %s after %d: %w", code, validThrough, err)
	}
	if taken > 0 {
		r.cfg.Count("rejected_retired_key", uint64(taken))
		r.cfg.Log.Error("entries signed by a retired key after its last valid seq were taken out of the feed and kept as evidence",
			"feed", code, "valid_through", validThrough, "count", taken)
	}
	return taken, nil
}

// RefusedReason is the evidence reason of entries after a key retired
// for reason.
func RefusedReason(reason string) string {
	if reason == RetiredCompromised {
		return "after_compromise"
	}
	return "after_handover"
}

// retiredViews lists p's retired keys for operators.
func retiredViews(p store.Partner) []RetiredKeyView {
	var out []RetiredKeyView
	for _, k := range p.Retired {
		out = append(out, RetiredKeyView{Fingerprint: k.Key.Fingerprint(), ValidThrough: k.ValidThrough, Reason: k.Reason})
	}
	return out
}
