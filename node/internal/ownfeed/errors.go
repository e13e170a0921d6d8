package ownfeed

import "errors"

// ErrOwnHeadUnconfirmed is returned by every append to this node's own
// feed (publish, import, acknowledgements) while the store is flagged as
// recovering (see [store.Store.MarkRecovering]): the node has not yet
// learned its own latest head from its partners, and an entry signed now
// could fork its feed.
var ErrOwnHeadUnconfirmed = errors.New("own head unconfirmed: this node's keys were restored and it has not yet learned its own latest head from its partners")

// ErrKeyRetired is returned by every append to this node's own feed once
// its key has signed a hand-over: the node must be restarted with its new
// key.
var ErrKeyRetired = errors.New("this node's key has handed over to a new key: restart the node with the new key")
