// Package reach keeps a node reachable by its partners when it sits behind
// NAT, a firewall, a proxy or an address that changes:
//
//   - the libp2p options of the host ([HostOptions]): circuit relay v2
//     served to pinned partners only within [RecordLimits], AutoRelay
//     through the pinned partners, DCUtR hole punching, optional port
//     mapping, WebSocket over TLS through an HTTP(S) proxy, added to the
//     exchange's own TCP (no SO_REUSEPORT) and QUIC transports;
//     [CheckListening] names a taken port;
//   - the addresses the node announces ([ParseAnnounce]) and the circuit
//     addresses through which a partner without a public address is
//     dialled ([AddCircuitAddrs], [RelaysLast]);
//   - the card refresh protocol ([CardProtocolID], [WatchAddrs]) and the
//     partners that stay unreachable too long ([Unreachable]).
//
// Package exchange uses these helpers where it decides: [Linked] is what
// "connected" means to its dialer, syncer and status, [RelaysLast] its
// dial ranking, [AddCircuitAddrs] its dialer's addresses, [CheckListening]
// the end of its Start. reach imports nothing of kpnode's.
//
// reach knows the partners only through the [Partners] given to it; it
// never reads the store and never decides who is a partner or whether a
// card is accepted. It opens no stream of the sync or gossip protocols:
// a stream that may run over a relayed (limited) connection is opened
// with network.WithAllowLimitedConn by its owner, as [SendCard] does.
//
// All exported functions and methods are safe for concurrent use, except
// that [HostOptions] with a proxy sets the process-wide WebSocket dialer's
// proxy (one node per process).
package reach
