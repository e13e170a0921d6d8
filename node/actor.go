package node

import (
	"cmp"
	"context"

	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
)

// Who acts: every audit record names its actor (docs/operations.md, "Staff
// and roles"). An operation that takes a context names the actor carried
// by it ([WithActor]); the others are named through [Node.As]. Without
// either, the actor is the node itself ([store.ActorNode]): the holder of
// the node's own token, or the node acting on its own.

// actorKey is the context key of the actor.
type actorKey struct{}

// WithActor returns ctx naming actor as who acts in the operations done
// with it (publishing, importing, key rotation, backups).
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOf is the actor ctx names, or the node.
func actorOf(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return cmp.Or(a, store.ActorNode)
}

// Acting is the node's operations that take no context, done by a named
// actor whom their audit records name. It holds no state of its own.
type Acting struct {
	roster.Operations // the partner operations, by the actor
	n                 *Node
	actor             string
}

// As returns the operations of n done by actor.
func (n *Node) As(actor string) *Acting {
	actor = cmp.Or(actor, store.ActorNode)
	return &Acting{Operations: n.roster.As(actor), n: n, actor: actor}
}

// ForceRecovered is [Node.ForceRecovered] by the actor.
func (a *Acting) ForceRecovered(note string) (RecoveryStatus, error) {
	return a.n.forceRecovered(a.actor, note)
}

// AcknowledgeFinding is [Node.AcknowledgeFinding] by the actor.
func (a *Acting) AcknowledgeFinding(id, note string) (FindingView, error) {
	return a.n.acknowledgeFinding(a.actor, id, note)
}
