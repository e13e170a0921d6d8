package exchange

import (
	"errors"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/feedsync"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// receiptClockSkew is how far ahead of this node's clock a receipt's
// signing time may be. A receipt signed "later" would win every tie at
// its seq (delivery.receipt) and show a time to come in the status.
const receiptClockSkew = 10 * time.Minute

// A partner's receipt that is not true of this node's own chain.
var (
	// errReceiptAhead: a seq beyond the head of the feed as this node
	// holds it.
	errReceiptAhead = errors.New("receipt beyond the head")
	// errReceiptMismatch: a hash other than that of the entry this node
	// holds at the seq. For this node's own feed either the partner lies
	// or someone else signed with this node's key.
	errReceiptMismatch = errors.New("receipt hash differs from the entry held")
	// errReceiptFuture: a signing time beyond receiptClockSkew ahead.
	errReceiptFuture = errors.New("receipt signed in the future")
)

// checkOwnReceipt checks a partner's receipt of this node's own feed:
// signed no later than receiptClockSkew from now, and at a seq this node
// holds with the hash of its entry there.
func (n *Service) checkOwnReceipt(r *protocol.Receipt) error {
	if limit := n.now().Add(receiptClockSkew); r.Time.After(limit) {
		return fmt.Errorf("%w: signed at %s, more than %s after this node's clock", errReceiptFuture, r.Time.Format(time.RFC3339), receiptClockSkew)
	}
	return n.checkChain(n.id.Public(), r.Seq, r.Hash)
}

// checkTheirHead checks a partner's statement of the head of its own
// feed: at a seq this node holds of it, the hash must be that of the
// entry held (a different one is a fork by its author). A head beyond
// what this node holds cannot be checked yet: it is what to pull, and it
// stands in the status only until a session shows the partner does not
// serve it (refuteClaims).
func (n *Service) checkTheirHead(r *protocol.Receipt) error {
	if err := n.checkChain(r.Feed, r.Seq, r.Hash); err != nil && !errors.Is(err, errReceiptAhead) {
		return err
	}
	return nil
}

// checkChain reports whether this node holds feed at seq with hash (seq
// 0: holds nothing, always true).
func (n *Service) checkChain(feed crypto.PublicKey, seq uint64, hash protocol.Hash) error {
	if seq == 0 {
		return nil
	}
	head, err := n.st.Head(feed)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	held := head.Hash
	switch {
	case seq > head.Seq:
		return fmt.Errorf("%w: seq %d, head %d", errReceiptAhead, seq, head.Seq)
	case seq < head.Seq:
		e, err := n.st.Entry(feed, seq)
		if err != nil {
			return fmt.Errorf("read entry %d: %w", seq, err)
		}
		held = e.Hash()
	}
	if held != hash {
		return fmt.Errorf("%w: seq %d: %s, held %s", errReceiptMismatch, seq, hash.Short(), held.Short())
	}
	return nil
}

// refuseReceipt counts a receipt that does not hold and charges its
// signer a violation, once per distinct receipt: an honest partner
// repeats the same bytes in every hello (Service.receipt), so one that holds
// entries signed with this node's stolen key is not graylisted for
// repeating what it holds. A receipt of this node's own feed beyond its
// head while it recovers is what it pulls back (recovery), not refused;
// a failure of this node's store is not the partner's doing.
func (n *Service) refuseReceipt(code string, p peer.ID, r *protocol.Receipt, err error) {
	switch {
	case errors.Is(err, errReceiptAhead) && r.Feed == n.id.Public() && n.own.Recovering():
		return
	case !errors.Is(err, errReceiptAhead) && !errors.Is(err, errReceiptMismatch) && !errors.Is(err, errReceiptFuture):
		n.log.Warn("check receipt", "partner", code, "err", err)
		return
	}
	n.count("receipts_refused", 1)
	if !n.delivery.refused(p, r) {
		return
	}
	if !errors.Is(err, errReceiptFuture) { // a wrong clock is not hostile
		n.abuse.falseClaim(p)
	}
	n.log.Warn("partner's receipt refused: it does not hold against this node's chain", "partner", code,
		"feed", r.Feed.Fingerprint(), "seq", r.Seq, "err", err)
	n.emit("receipt_refused", map[string]any{"partner": code, "feed": r.Feed.Fingerprint(), "seq": r.Seq, "reason": err.Error()})
}

// refuteClaims ends the heads a pull session from p did not bear out
// (feedsync.Puller.Unserved). p's head of its own feed falls back to what this
// node holds of it, uncharged: an honest node may announce an entry it
// has not yet synced to disk, and serves it only once it has. While this
// node recovers, p's report of this node's own feed is dropped and
// charged: a relay serves all it holds of a feed, so it claimed entries
// it does not hold, which would keep the node refusing appends.
func (n *Service) refuteClaims(p peer.ID, m *feedsync.Puller) {
	if pk, err := crypto.PublicKeyFromPeerID(p.String()); err == nil && m.Unserved(pk) {
		n.delivery.theirHead(p, m.Held(pk))
		n.count("head_claims_refuted", 1)
	}
	if own := n.id.Public(); m.Unserved(own) {
		n.refuteOwnHead(p, m.Held(own))
	}
}

// refuteOwnHead drops, while recovering, partner p's report of this
// node's feed: a session asked p for it and p served nothing more than
// held. p counts as not having reported (the wait for missing partners
// applies), and it is charged a violation.
func (n *Service) refuteOwnHead(p peer.ID, held uint64) {
	code, _ := n.roster.Snapshot().PartnerByPeer(p)
	r, ok := n.own.DropReport(code)
	if !ok {
		return
	}
	n.abuse.falseClaim(p)
	n.count("head_claims_refuted", 1)
	n.log.Warn("recovery: a partner reported more of this node's feed than it serves; its report is dropped",
		"partner", code, "reported", r.Seq, "served_up_to", held)
	n.emit("receipt_refused", map[string]any{"partner": code, "feed": n.id.Public().Fingerprint(), "seq": r.Seq,
		"reason": "reported while recovering, not served"})
	n.own.CheckRecovered()
}

// AuditReceiptDrop is the audit action of a stored receipt dropped at
// start because it does not hold against this node's feed.
const AuditReceiptDrop = "receipt.drop"

// LoadReceipts restores the stored receipts of every partner, each only if
// it holds against this node's feed (checkOwnReceipt); one that does not
// (kept by an earlier version, or written behind the node's back) is
// dropped from the store, logged and audited. While the node recovers its
// own feed, a receipt beyond its head may be true: it is left stored,
// not loaded.
func (n *Service) LoadReceipts() {
	peers := n.roster.Snapshot().PeersByCode()
	for code, p := range peers {
		b, err := n.st.GetMeta(MetaReceiptPrefix + code)
		if err != nil {
			continue
		}
		r, err := n.storedReceipt(p, b)
		switch {
		case err == nil:
			n.delivery.receipt(p, r)
		case errors.Is(err, errReceiptAhead) && n.own.Recovering():
		default:
			n.dropReceipt(code, b, err)
		}
	}
}

// storedReceipt decodes a stored receipt of partner p and checks it.
func (n *Service) storedReceipt(p peer.ID, b []byte) (*protocol.Receipt, error) {
	r, err := protocol.DecodeReceipt(b)
	if err != nil {
		return nil, err
	}
	pk, err := crypto.PublicKeyFromPeerID(p.String())
	if err != nil || r.Signer != pk || r.Feed != n.id.Public() {
		return nil, fmt.Errorf("%w: not the partner's receipt of this node's feed", protocol.ErrMalformed)
	}
	if err := n.checkOwnReceipt(r); err != nil {
		return nil, err
	}
	return r, nil
}

func (n *Service) dropReceipt(code string, b []byte, reason error) {
	var seq uint64
	if r, err := protocol.DecodeReceipt(b); err == nil {
		seq = r.Seq
	}
	err := n.st.DeleteMetaAudited(MetaReceiptPrefix+code, store.AuditEvent{Action: AuditReceiptDrop,
		Details: map[string]any{"partner": code, "seq": seq, "reason": reason.Error()}})
	if err != nil {
		n.log.Error("drop stored receipt", "partner", code, "err", err)
		return
	}
	n.log.Warn("stored receipt dropped: it does not hold against this node's feed", "partner", code, "seq", seq, "err", reason)
}
