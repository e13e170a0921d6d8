package roster

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// FollowHandover re-pins partner code to the successor card of a
// hand-over entry e just stored in its current feed, whose record (nil
// when not addressed to this node) is rec: when it returns, the old feed
// is closed after e and the new key's feed and peer are admitted. It
// returns the partner as re-pinned, for the caller to attach (join its
// topic, dial it) off the ingest path, and whether it followed. A
// hand-over this node cannot read or whose card cannot succeed the key is
// logged and left for the operator (kpnode partners repin).
func (r *Roster) FollowHandover(code string, e *protocol.Entry, rec *store.Record) (store.Partner, bool) {
	if code == r.cfg.Code {
		return store.Partner{}, false
	}
	if rec == nil {
		r.cfg.Log.Error("partner handed its key over in an entry not addressed to this node: re-pin it from its new card", "partner", code, "seq", e.Seq)
		return store.Partner{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, old, err := r.successor(code, e, rec)
	if err != nil {
		r.cfg.Count("handover_refused", 1)
		r.cfg.Log.Error("partner's key hand-over refused: re-pin it from its new card", "partner", code, "seq", e.Seq, "err", err)
		return store.Partner{}, false
	}
	extra := map[string]any{"old_fingerprint": old.Key.Fingerprint(), "seq": e.Seq}
	p, err := r.retireKey(old, sc, e.Seq, RetiredRotated, partnerAudit(store.ActorNode, AuditPartnerRotate, code, sc.Fingerprint(), extra))
	if err != nil {
		r.cfg.Log.Error("follow partner's key hand-over", "partner", code, "err", err)
		return store.Partner{}, false
	}
	r.cfg.Log.Info("partner rotated its key: following", "partner", code, "old", old.Key.Fingerprint(), "new", sc.Fingerprint(), "seq", e.Seq)
	r.cfg.Event("partner_rotated", map[string]any{"partner": code, "seq": e.Seq, "fingerprint": sc.Fingerprint()})
	return p, true
}

// successor checks a hand-over of partner code: it is in the partner's
// current feed, and its card is a new key for the same code.
func (r *Roster) successor(code string, e *protocol.Entry, rec *store.Record) (*protocol.SignedCard, store.Partner, error) {
	old, err := r.cfg.Store.Partner(code)
	if err != nil {
		return nil, old, err
	}
	if old.Removed || old.Key != e.Author {
		return nil, old, fmt.Errorf("the hand-over is not in the partner's current feed")
	}
	h, err := protocol.ParseHandover(rec.Body)
	if err != nil {
		return nil, old, err
	}
	sc, err := h.SignedCard()
	if err != nil {
		return nil, old, err
	}
	if sc.Card.Code != code {
		return nil, old, fmt.Errorf("the new card is %s's, not %s's", sc.Card.Code, code)
	}
	return sc, old, r.checkSuccessor(old, sc)
}
