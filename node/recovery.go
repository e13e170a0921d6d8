package node

import (
	"fmt"
	"github.com/kpnode/kpnode/store"

	"github.com/kpnode/kpnode/node/internal/ownfeed"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ErrOwnHeadUnconfirmed is returned by every append to this node's own
// feed (publish, import, acknowledgements) while the store is flagged as
// recovering (see [store.Store.MarkRecovering]): the node has not yet
// learned its own latest head from its partners, and an entry signed now
// could fork its feed.
var ErrOwnHeadUnconfirmed = ownfeed.ErrOwnHeadUnconfirmed

// AuditRecoveryForce is the audit action of an operator ending recovery
// without the partners' heads (kpnode recover --force).
const AuditRecoveryForce = "recovery.force"

// RecoveryStatus is the recovery state in [Status].
type RecoveryStatus = ownfeed.RecoveryStatus

// refuteOwnHead drops, while recovering, partner p's report of this
// node's feed: a session asked p for it and p served nothing more than
// held. p counts as not having reported (the wait for missing partners
// applies), and it is charged a violation.
func (n *Node) refuteOwnHead(p peer.ID, held uint64) {
	code, _ := n.roster.Snapshot().PartnerByPeer(p)
	r, ok := n.own.DropReport(code)
	if !ok {
		return
	}
	n.abuse.falseClaim(p)
	n.counters.add("head_claims_refuted", 1)
	n.log.Warn("recovery: a partner reported more of this node's feed than it serves; its report is dropped",
		"partner", code, "reported", r.Seq, "served_up_to", held)
	n.events.emit("receipt_refused", map[string]any{"partner": code, "feed": n.id.Public().Fingerprint(), "seq": r.Seq,
		"reason": "reported while recovering, not served"})
	n.own.CheckRecovered()
}

// ForceRecovered ends recovery on the operator's word, without the
// partners' heads (kpnode recover --force). The audit log records it with
// the state at that moment. It does nothing when the node is not
// recovering.
func (n *Node) ForceRecovered(note string) (RecoveryStatus, error) {
	return n.forceRecovered(store.ActorNode, note)
}

// forceRecovered is ForceRecovered by actor.
func (n *Node) forceRecovered(actor, note string) (RecoveryStatus, error) {
	if reason := protocol.TextProblem(note, maxAckNote, true); reason != "" {
		return RecoveryStatus{}, fmt.Errorf("%w: note %s", ErrInvalidRequest, reason)
	}
	st := n.RecoveryStatus()
	if !st.Recovering {
		return st, nil
	}
	if err := n.auditAs(actor, AuditRecoveryForce, map[string]any{"note": note, "own_head": st.OwnHead,
		"target": st.Target, "reported": st.Reported, "missing": st.Missing}); err != nil {
		return st, err
	}
	n.log.Warn("recovery ended by the operator without the partners' heads", "own_head", st.OwnHead, "target", st.Target)
	n.own.EndRecovery(map[string]any{"forced": true, "head": st.OwnHead})
	return n.RecoveryStatus(), nil
}

// RecoveryStatus returns what the node has learned of its own feed while
// recovering.
func (n *Node) RecoveryStatus() RecoveryStatus { return n.own.RecoveryStatus() }
