// Package exchange is a node's exchange with its partners: the libp2p
// host and what admits peers to it (the gater, the resource manager's
// allowlist, the handshake deadline), gossip (one topic per feed, the
// validator that ingests pushes, the pusher of the node's own entries),
// the dialer that keeps partners connected, the syncer that schedules
// pull sessions, sync I/O as initiator and as server (within the serving
// limits), receipts (signed, checked, kept as proof of delivery), peer
// scores and graylisting, abuse accounting and the delivery status of
// each partner.
//
// A [Service] exists whole from [New]: its host is built there without
// listening, so nothing in it is ever nil; [Service.Start] listens and
// starts its goroutines (the pusher, the syncer's loop, the dialer's
// loop, a drain per partner topic, sync sessions), [Service.Close] stops
// and waits for them, then closes the host.
//
// It holds no pointer to the node. What it needs from above it defines
// here, and the node implements: [Store] (what the store serves and
// keeps), [Roster] (who is a partner, which feeds are kept and closed
// where), [OwnFeed] (how far the own feed is durable, the recovery gate)
// and [Ingest] (what to do with a received entry). The roster's changes
// reach it through the node's roster listener, which calls
// [Service.Admitted], [Service.Attach], [Service.Removed],
// [Service.PeerRetired], [Service.AddrsSet] and [Service.Paused].
//
// Seams for other protocols and transports: [Config.HostOptions] (NAT
// traversal, relays, more transports, announced addresses; a function of
// the partners as the exchange admits them), [Config.PartnerConnected]
// (a partner connected),
// [Service.AddrUpdates] (the host's address changes),
// [Service.Handle] (another stream protocol, admitted to pinned partners
// only) and [Service.OpenStream] (a stream to a partner).
//
// It uses package reach's helpers where it decides whether a partner is
// linked (a relayed link counts: [Service.Connected]), how addresses are
// ranked and which circuit addresses are dialled, and whether every
// configured address listens.
//
// It never parses records, never decides what a partner may read, and
// changes the roster only by telling it that a partner's new key
// connected ([Roster.NewKeyConnected], the end of a hand-over).
package exchange
