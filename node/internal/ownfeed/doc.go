// Package ownfeed is this node's own feed: the append path (each draft
// built on the head it is appended to, signed, appended), the group commit
// that makes entries durable before anyone sees them, the recovery gate
// that refuses appends until a node restored from its keys has learned its
// own head from its partners, and the end of the feed once its key has
// signed a hand-over.
//
// A [Feed] owns that state; it never touches the network. What follows a
// durable entry (the log, counters, the push to partners) is the
// Announce hook the node supplies. All methods are safe for concurrent
// use.
package ownfeed
