package exchange

import (
	"sync"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// MetaReceiptPrefix keys the latest receipt each partner signed for this
// node's feed, kept as proof of delivery (followed by its code).
const MetaReceiptPrefix = "receipt/"

// ownReceipts signs a receipt for every feed this node holds: its heads, as
// told to a partner at the start and end of a sync session.
// A receipt is signed again only when the head of its feed has moved.
// The heads are read in one pass over the store: a Badger lookup per feed
// was a tenth of an idle node's CPU with 60 partners (periodic syncs).
func (n *Service) ownReceipts() []*protocol.Receipt {
	heads, err := n.st.Heads()
	if err != nil {
		n.log.Warn("read heads for receipts", "err", err)
		return nil
	}
	var out []*protocol.Receipt
	for _, k := range n.roster.Snapshot().KnownFeeds() {
		h := heads[k]
		if h.Seq == 0 || len(out) == protocol.MaxHelloReceipts {
			continue
		}
		if r := n.receipt(k, h.Seq, h.Hash); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// receipt returns this node's signed receipt for feed k at seq and hash,
// reusing the last one signed while it still holds.
func (n *Service) receipt(k crypto.PublicKey, seq uint64, hash protocol.Hash) *protocol.Receipt {
	n.signed.mu.Lock()
	defer n.signed.mu.Unlock()
	if r, ok := n.signed.byFeed[k]; ok && r.Seq == seq && r.Hash == hash {
		return r
	}
	r, err := protocol.NewReceipt(n.id, k, seq, hash, n.now())
	if err != nil {
		return nil
	}
	n.signed.byFeed[k] = r
	return r
}

// signedReceipts are the receipts this node last signed, by feed.
type signedReceipts struct {
	mu     sync.Mutex // guards byFeed
	byFeed map[crypto.PublicKey]*protocol.Receipt
}

// absorbHello records what partner p told it holds and returns p's heads
// by feed. Receipts not signed by p are ignored: receipts are not relayed.
// Nothing in it changes what this node reports about itself or a third
// party unless it holds against this node's own chains (noteReceipt);
// the heads of other feeds only choose what to pull, and every entry
// pulled is verified.
func (n *Service) absorbHello(p peer.ID, h *protocol.Hello) map[crypto.PublicKey]uint64 {
	code, ok := n.roster.Snapshot().PartnerByPeer(p)
	if !ok {
		return nil
	}
	pk, _ := crypto.PublicKeyFromPeerID(p.String())
	heads := make(map[crypto.PublicKey]uint64, len(h.Receipts))
	var ours protocol.Receipt // zero: the partner holds none of our feed
	for _, r := range h.Receipts {
		if r.Signer != pk {
			continue
		}
		if r.Feed == n.id.Public() {
			ours = *r
		}
		if n.noteReceipt(code, p, r) {
			heads[r.Feed] = r.Seq
		}
	}
	n.delivery.contact(p, n.now())
	n.own.NoteOwnHead(code, ours)
	return heads
}

// noteReceipt keeps the partner's receipt for this node's feed (proof of
// delivery) and its head of its own feed, each only if it holds against
// what this node holds (checkOwnReceipt, checkTheirHead). It reports
// whether the receipt's head may be pulled from.
func (n *Service) noteReceipt(code string, p peer.ID, r *protocol.Receipt) bool {
	switch r.Feed {
	case n.id.Public():
		if !r.Verified() {
			return false // never kept as proof unchecked (the receipt cache checks these)
		}
		if err := n.checkOwnReceipt(r); err != nil {
			n.refuseReceipt(code, p, r, err)
			return n.own.Recovering() // a head to pull this node's feed back from
		}
		if n.delivery.receipt(p, r) {
			if err := n.st.PutMeta(MetaReceiptPrefix+code, r.Bytes()); err != nil {
				n.log.Warn("store receipt", "partner", code, "err", err)
			}
			n.emit("receipt", map[string]any{"partner": code, "seq": r.Seq})
		}
	case r.Signer:
		if err := n.checkTheirHead(r); err != nil {
			n.refuseReceipt(code, p, r, err)
			return false
		}
		n.delivery.theirHead(p, r.Seq)
	}
	return true
}

// localSeqs returns this node's head seq of every feed it holds.
func (n *Service) localSeqs() map[crypto.PublicKey]uint64 {
	feeds := n.roster.Snapshot().KnownFeeds()
	out := make(map[crypto.PublicKey]uint64, len(feeds))
	for _, k := range feeds {
		if h, err := n.st.Head(k); err == nil {
			out[k] = h.Seq
		}
	}
	// Own entries leave once on disk; while recovering, the own feed is
	// being pulled back and its head is what the node holds.
	if _, ok := out[n.id.Public()]; ok && !n.own.Recovering() {
		out[n.id.Public()] = min(out[n.id.Public()], n.own.SyncedSeq())
	}
	return out
}

// acceptFeed reports whether this node pulls feed k: its partners' feeds,
// and its own only while recovering (it never signs while it pulls).
func (n *Service) acceptFeed(k crypto.PublicKey) bool {
	_, ok := n.roster.Snapshot().FeedCode(k)
	return ok && (k != n.id.Public() || n.own.Recovering())
}

// helloReceipts are the receipts of a hello to partner p: the hello
// carries this node's receipt of p's feed, so a receipt session due with
// p is no longer needed.
func (n *Service) helloReceipts(p peer.ID) []*protocol.Receipt {
	n.syncer.receiptSent(p)
	return n.ownReceipts()
}
