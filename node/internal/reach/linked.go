package reach

import "github.com/libp2p/go-libp2p/core/network"

// Linked reports whether a partner in state c can be talked to: connected
// directly, or only through a relay (network.Limited). Over a limited
// connection only streams opened with network.WithAllowLimitedConn run;
// gossipsub opens none, so entries go by sync.
func Linked(c network.Connectedness) bool {
	return c == network.Connected || c == network.Limited
}
