package reach

import (
	"fmt"
	"net"
	"slices"

	"github.com/libp2p/go-libp2p/core/host"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// CheckListening returns an error naming the first of the configured
// listen addresses the host does not listen on. libp2p starts when at
// least one address listens; a node whose TCP port is another daemon's
// would then run on QUIC alone, unseen. The error carries the operating
// system's reason, found by binding the address again (a port in use,
// an address not on this machine, a privileged port).
func CheckListening(h host.Host, listen []string) error {
	have := h.Network().ListenAddresses()
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("listen %q: %w", s, err)
		}
		if !slices.ContainsFunc(have, func(b ma.Multiaddr) bool { return sameListener(a, b) }) {
			return fmt.Errorf("%w: listen %s: port %s: %v", ErrPortTaken, a, port(a), bindError(a))
		}
	}
	return nil
}

// sameListener reports whether listener b serves configured address a:
// the same protocols and values, except that port 0 in a takes any port.
func sameListener(a, b ma.Multiaddr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Code() != b[i].Code() {
			return false
		}
		free := (a[i].Code() == ma.P_TCP || a[i].Code() == ma.P_UDP) && a[i].Value() == "0"
		if !free && a[i].Value() != b[i].Value() {
			return false
		}
	}
	return true
}

func port(a ma.Multiaddr) string {
	if p, err := a.ValueForProtocol(ma.P_TCP); err == nil {
		return "tcp " + p
	}
	if p, err := a.ValueForProtocol(ma.P_UDP); err == nil {
		return "udp " + p
	}
	return "?"
}

// bindError binds a's host and port once more to learn why libp2p could
// not: the operating system's error, or a note when the bind now works.
func bindError(a ma.Multiaddr) error {
	nw, hostport, err := manet.DialArgs(a)
	if err != nil {
		return err
	}
	switch nw {
	case "udp", "udp4", "udp6":
		c, err := net.ListenPacket(nw, hostport)
		if err == nil {
			c.Close()
		}
		return orRetry(err)
	}
	l, err := net.Listen(nw, hostport)
	if err == nil {
		l.Close()
	}
	return orRetry(err)
}

func orRetry(err error) error {
	if err == nil {
		return fmt.Errorf("the port was busy when the node started and is free now: start again")
	}
	return err
}
