package exchange

import (
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/prometheus/client_golang/prometheus"
)

// RegisterResourceMetrics registers libp2p's resource-manager metrics
// (libp2p_rcmgr_*: connections, streams, memory and file descriptors by
// scope, blocked resources, limits) with reg. The resource manager
// reports them into collectors that libp2p keeps per process, so with
// several nodes in one process (tests, testnet) they add up; a daemon
// runs one. Registering twice, or on several registries, is harmless.
// (go-libp2p moved these from resource-manager/obs, now deprecated, into
// rcmgr itself.)
func RegisterResourceMetrics(reg prometheus.Registerer) { rcmgr.MustRegisterWith(reg) }
