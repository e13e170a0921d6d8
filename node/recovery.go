package node

import (
	"fmt"
	"github.com/kpnode/kpnode/store"

	"github.com/kpnode/kpnode/node/internal/ownfeed"
	"github.com/kpnode/kpnode/protocol"
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
