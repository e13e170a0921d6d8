// Package reach keeps a node reachable by its partners when it sits behind
// NAT, a firewall or an address that changes: the libp2p options of the
// host (circuit relay v2 served to pinned partners only, AutoRelay through
// pinned partners, DCUtR hole punching, optional port mapping, no
// SO_REUSEPORT on TCP listeners), the addresses the node announces, the
// circuit addresses through which a partner without a public address is
// dialled, and the partners that stay unreachable too long.
//
// reach knows the partners only through the [Partners] given to it; it
// never reads the store and never decides who is a partner. It never
// opens a stream of the kpnode protocols: those stay the node's, and a
// stream that may run over a relayed (limited) connection must be opened
// with network.WithAllowLimitedConn by its owner.
//
// All exported functions and methods are safe for concurrent use.
package reach
