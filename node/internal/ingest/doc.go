// Package ingest is the path of a partner's entry into the store, pushed
// (gossipsub) or pulled (sync): decode and verify, check the author is a
// feed the roster keeps and the feed is not closed, open the record when
// this node is in the audience, then append in feed order.
//
// A [Pipeline] works over narrow interfaces it defines and the node
// implements: [Store] (the feeds), [Roster] (who is a partner, which
// feeds are closed), [Opener] (decrypt and parse a record) and [Hooks]
// (what follows a stored entry: events, reconciliation, recovery, a
// partner's key hand-over). It never calls up into partner management or
// the network: the hooks do, and they must return quickly — a pushed entry
// is ingested inside a gossipsub validator goroutine.
//
// Checks run in a fixed order: size and decode, signature, author is a
// kept feed, the feed is open at that seq, then the chain as stored.
// Prepare (the expensive part: signatures, decryption) is safe for
// concurrent use; Commit appends and must be called in feed order by one
// goroutine per feed (sync sessions and validators race only on
// different entries, which the store's append settles).
package ingest
