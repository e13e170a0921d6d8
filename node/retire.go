package node

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

// AuditPartnerRepin is the audit action of an operator re-pinning a
// partner from a new card after its key was compromised;
// AuditPartnerRotate records a partner followed to its new key by a
// hand-over entry.
const (
	AuditPartnerRepin  = "partner.repin"
	AuditPartnerRotate = "partner.rotate"
)

// closedFeed is a retired key's feed: kept and served up to validThrough,
// closed after it.
type closedFeed struct {
	validThrough uint64
	reason       string
}

// RetiredKeyView is a partner's retired key as operators see it.
type RetiredKeyView struct {
	Fingerprint  string `json:"fingerprint"`
	ValidThrough uint64 `json:"valid_through"`
	Reason       string `json:"reason"`
}

// RepinResult is what [Node.RepinPartner] did.
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
func (n *Node) RepinPartner(code string, cardBytes []byte, validThrough uint64) (RepinResult, error) {
	n.partnersMu.Lock()
	defer n.partnersMu.Unlock()
	sc, err := protocol.ParseCard(cardBytes)
	if err != nil {
		return RepinResult{}, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	if sc.Card.Code != code {
		return RepinResult{}, fmt.Errorf("%w: the card is %s's, not %s's", ErrInvalidCard, sc.Card.Code, code)
	}
	old, err := n.st.Partner(sc.Card.Code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && old.Removed) {
		return RepinResult{}, fmt.Errorf("re-pin partner %s: %w (add it with kpnode partners add)", sc.Card.Code, ErrUnknownPartner)
	}
	if err != nil {
		return RepinResult{}, fmt.Errorf("re-pin partner %s: %w", sc.Card.Code, err)
	}
	if err := n.checkSuccessor(old, sc); err != nil {
		return RepinResult{}, err
	}
	extra := map[string]any{"old_fingerprint": old.Key.Fingerprint(), "valid_through": validThrough}
	p, err := n.retireKey(old, sc, validThrough, RetiredCompromised, partnerAudit(AuditPartnerRepin, old.Code, sc.Fingerprint(), extra))
	if err != nil {
		return RepinResult{}, err
	}
	taken, err := n.closeRetired(p.Code, old.Key, validThrough, refusedReason(RetiredCompromised))
	if err != nil {
		return RepinResult{}, err
	}
	n.log.Warn("partner re-pinned after a compromise", "partner", p.Code, "old", old.Key.Fingerprint(),
		"new", sc.Fingerprint(), "valid_through", validThrough, "taken_out", taken)
	n.events.emit("partner_repinned", map[string]any{"partner": p.Code, "valid_through": validThrough, "taken_out": taken})
	return RepinResult{Partner: partnerView(p, sc), OldFingerprint: old.Key.Fingerprint(), ValidThrough: validThrough, TakenOut: taken}, nil
}

// checkSuccessor refuses a new card that is not a new key for old's code.
func (n *Node) checkSuccessor(old store.Partner, sc *protocol.SignedCard) error {
	if sc.Key == old.Key {
		return fmt.Errorf("%w: the card has partner %s's current key %s; a re-pin needs the new card", ErrInvalidCard, old.Code, sc.Fingerprint())
	}
	if sc.Key == n.id.Public() {
		return fmt.Errorf("%w: the card is this node's own", ErrInvalidCard)
	}
	if code, ok := n.feedCode(sc.Key); ok {
		return fmt.Errorf("%w: the card's key is already known as partner %s's", ErrInvalidCard, code)
	}
	return nil
}

// retireKey stores old's successor card sc with old's key retired after
// validThrough, audited as ev, and moves the running node to the new key:
// the new peer is admitted, its feed joined and dialled. A compromised
// key's peer is refused and disconnected at once; a rotated key's peer
// stays admitted until the new key first connects, so it can collect the
// receipts of its hand-over (it signs nothing that would be accepted).
func (n *Node) retireKey(old store.Partner, sc *protocol.SignedCard, validThrough uint64, reason string, ev store.AuditEvent) (store.Partner, error) {
	p := old
	p.Key, p.Card = sc.Key, sc.Bytes()
	p.Retired = append(p.Retired[:len(p.Retired):len(p.Retired)], store.RetiredKey{
		Key: old.Key, Card: old.Card, ValidThrough: validThrough, Reason: reason, Retired: n.now().UTC()})
	p.AddrOverride = nil // the old override named the old peer
	n.trackClosed(old.Key, old.Code, closedFeed{validThrough: validThrough, reason: reason})
	if err := n.st.PutPartnerAudited(p, ev); err != nil {
		return store.Partner{}, fmt.Errorf("re-pin partner %s: %w", p.Code, err)
	}
	if reason == RetiredRotated {
		n.mu.Lock()
		n.retiring[p.Code] = old.Key
		n.mu.Unlock()
	} else {
		n.forgetPeer(old.Key)
	}
	n.trackPartner(p)
	if n.currentHost() != nil {
		if err := n.attachPartner(p); err != nil {
			return store.Partner{}, err
		}
	}
	return p, nil
}

// newKeyConnected refuses, once partner code's new key has connected, the
// peer of the key it rotated from.
func (n *Node) newKeyConnected(code string, p peer.ID) {
	n.mu.Lock()
	old, ok := n.retiring[code]
	if ok && old.PeerID() != p.String() {
		delete(n.retiring, code)
	}
	n.mu.Unlock()
	if ok && old.PeerID() != p.String() {
		n.forgetPeer(old)
	}
}

// trackClosed keeps feed k (partner code's) readable and closed after
// f.validThrough.
func (n *Node) trackClosed(k crypto.PublicKey, code string, f closedFeed) {
	n.mu.Lock()
	n.feeds[k] = code
	n.closed[k] = f
	n.mu.Unlock()
	n.inbox.invalidate() // feed k has a code now
}

// forgetPeer refuses the peer of a retired key and closes its connections.
func (n *Node) forgetPeer(k crypto.PublicKey) {
	pid, err := peer.Decode(k.PeerID())
	if err != nil {
		return
	}
	n.mu.Lock()
	delete(n.peers, pid)
	n.mu.Unlock()
	n.gater.deny(pid)
	n.allow.forget(pid)
	n.delivery.forget(pid)
	if h := n.currentHost(); h != nil {
		h.ConnManager().Unprotect(pid, partnerTag)
		h.Network().ClosePeer(pid)
	}
}

// closeRetired takes the entries of a retired feed after validThrough out
// of the feed, kept as evidence with reason.
func (n *Node) closeRetired(code string, k crypto.PublicKey, validThrough uint64, reason string) (int, error) {
	taken, err := n.st.TruncateFeed(k, validThrough, reason)
	if err != nil {
		return taken, fmt.Errorf("close the retired feed of %s after %d: %w", code, validThrough, err)
	}
	if taken > 0 {
		n.counters.add("rejected_retired_key", uint64(taken))
		n.log.Error("entries signed by a retired key after its last valid seq were taken out of the feed and kept as evidence",
			"feed", code, "valid_through", validThrough, "count", taken)
	}
	return taken, nil
}

// closedAt reports whether feed k is a retired key's and, if so, its last
// accepted seq.
func (n *Node) closedAt(k crypto.PublicKey) (closedFeed, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f, ok := n.closed[k]
	return f, ok
}

// refuseRetired refuses an entry of a retired key after its last valid
// seq, keeping it as evidence.
func (n *Node) refuseRetired(code string, e *protocol.Entry, f closedFeed) ingestResult {
	if err := n.st.KeepRefused(e.Author, e.Seq, e.Bytes(), refusedReason(f.reason)); err != nil {
		n.log.Warn("keep refused entry", "feed", code, "seq", e.Seq, "err", err)
	}
	n.log.Warn("entry signed by a retired key after its last valid seq refused", "feed", code, "seq", e.Seq, "valid_through", f.validThrough)
	n.events.emit("retired_key_entry", map[string]any{"partner": code, "seq": e.Seq, "valid_through": f.validThrough})
	return n.reject("retired_key", e, fmt.Errorf("feed of %s's retired key %s is closed after seq %d", code, e.Author.Fingerprint(), f.validThrough))
}

// refusedReason is the evidence reason of entries after a key retired
// for reason.
func refusedReason(reason string) string {
	if reason == RetiredCompromised {
		return "after_compromise"
	}
	return "after_handover"
}

// capClosed lowers a partner's announced heads of retired feeds to their
// last valid seq, so a sync never asks for what would be refused.
func (n *Node) capClosed(heads map[crypto.PublicKey]uint64) map[crypto.PublicKey]uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, seq := range heads {
		if f, ok := n.closed[k]; ok && seq > f.validThrough {
			heads[k] = f.validThrough
		}
	}
	return heads
}

// retiredViews lists p's retired keys for operators.
func retiredViews(p store.Partner) []RetiredKeyView {
	var out []RetiredKeyView
	for _, r := range p.Retired {
		out = append(out, RetiredKeyView{Fingerprint: r.Key.Fingerprint(), ValidThrough: r.ValidThrough, Reason: r.Reason})
	}
	return out
}
