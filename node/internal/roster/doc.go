// Package roster owns who this node deals with: the pinned partners (their
// cards, address overrides and pause), the feeds it keeps (its own and its
// partners', retired keys included, closed after their last valid seq),
// the peers it admits and the age keys it shares with each partner.
//
// The state is an immutable [Snapshot] behind an atomic pointer: readers
// (ingest on every entry, sync on every hello) take [Roster.Snapshot] and
// read it without a lock. Changes go through the Roster's methods, which
// are serialised, store the partner first (audited), then publish a new
// snapshot and tell the [Listener]s subscribed ([Roster.Subscribe]), in
// order, on the changing goroutine, so that when a method returns the
// network layer has already admitted, attached or forgotten the peer.
// Listeners must not call back into the Roster's changing methods.
//
// The roster never touches the network: admitting a peer, joining its
// feed topic, dialling it or closing its connections are the listeners'.
// All methods are safe for concurrent use.
package roster
