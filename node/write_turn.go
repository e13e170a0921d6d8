package node

import "context"

// writeTurn gives one operator write at a time its turn to check this
// node's own records and append to its feed: an import or a publish
// decides from the held records whether a record is new, or whether the
// record a correction names is current, and only holding the turn from
// that check to the last append keeps a second write from deciding on the
// same records (two imports of one file both published every record).
// Gossip and sync ingest never take it: they append partners' feeds, and
// the checks read only this node's own.
type writeTurn struct {
	ch chan struct{} // holds a token while a write has its turn
}

func newWriteTurn() *writeTurn { return &writeTurn{ch: make(chan struct{}, 1)} }

// take waits for the turn, or for ctx to end; the caller calls release
// when its appends are done.
func (w *writeTurn) take(ctx context.Context) (release func(), err error) {
	select {
	case w.ch <- struct{}{}:
		return func() { <-w.ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
