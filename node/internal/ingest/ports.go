package ingest

import (
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// Store is the part of the store ingest reads and appends to
// (*store.Store implements it).
type Store interface {
	Holds(author crypto.PublicKey, seq uint64, raw []byte) (bool, error)
	Head(author crypto.PublicKey) (store.Head, error)
	Entry(author crypto.PublicKey, seq uint64) (*protocol.Entry, error)
	Append(e *protocol.Entry, rec *store.Record) error
	AppendRun(es []*protocol.Entry, recs []*store.Record) error
	KeepRefused(author crypto.PublicKey, seq uint64, raw []byte, reason string) error
}

// Roster says which feeds this node keeps and which are closed
// (*roster.Roster implements it).
type Roster interface {
	FeedCode(k crypto.PublicKey) (string, bool)
	ClosedAt(k crypto.PublicKey) (roster.Closed, bool)
}

// Opener opens and parses the record of an entry of participant code's
// feed addressed to this node: the stored record (nil when it cannot be
// opened: the entry is stored without it) and its parsed value for
// reconciliation (nil when it fails its validator).
type Opener interface {
	Open(code string, e *protocol.Entry) (*store.Record, any)
}

// Hooks are what follows ingest's verdicts, supplied by the node. They
// are called on the committing goroutine, in feed order, and must not
// block on the network.
type Hooks interface {
	// Stored follows every entry appended: rec and value are what the
	// Opener gave. A key hand-over must have closed the old feed in the
	// roster when Stored returns: later entries of the same frame depend
	// on it.
	Stored(code string, e *protocol.Entry, rec *store.Record, value any)
	// Equivocation follows an entry refused as a second, different entry
	// at a position of a feed.
	Equivocation(code string, e *protocol.Entry)
	// RetiredEntry follows an entry of a retired key after its last
	// valid seq, refused and kept as evidence.
	RetiredEntry(code string, e *protocol.Entry, f roster.Closed)
}
