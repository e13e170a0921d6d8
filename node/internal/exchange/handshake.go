package exchange

import (
	"net"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// handshakeTimeout bounds how long an inbound TCP connection may take from
// its accept to an authenticated peer ID. go-libp2p's upgrader allows 15 s
// (its accept timeout, which libp2p's options do not reach; Noise resets
// the connection's deadline to it); QUIC's own handshake idle timeout is
// 5 s. While it lasts, a stranger's half-open connection holds a slot of
// the resource manager's transient scope, a file descriptor and two
// goroutines. A partner's handshake takes a few round trips (under 10 ms
// on loopback, well under a second across continents).
const handshakeTimeout = 5 * time.Second

// handshakes closes inbound connections that have not authenticated
// their peer within timeout. The gater starts the clock at accept and
// stops it when the peer is authenticated; connections are keyed by their
// pair of addresses, which stays the same however the transport wraps
// the connection between the two calls.
type handshakes struct {
	// timeout is handshakeTimeout; tests shorten it before Start.
	timeout time.Duration
	// count counts the connections closed (inbound_handshake_timeouts).
	count func(string, uint64)

	mu      sync.Mutex // guards pending
	pending map[string]*time.Timer
}

func newHandshakes(timeout time.Duration, count func(string, uint64)) *handshakes {
	return &handshakes{timeout: timeout, count: count, pending: map[string]*time.Timer{}}
}

// start arms the deadline of an accepted connection. QUIC connections
// reach the gater only once their handshake is done (quic-go bounds it),
// and are no net.Conn. A connection the resource manager refuses right
// after keeps its timer until it fires: the timers pending are bounded by
// the accept rate times the timeout.
func (h *handshakes) start(c network.ConnMultiaddrs) {
	nc, ok := c.(net.Conn)
	if !ok {
		return
	}
	key := connKey(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.pending[key]; ok {
		old.Stop()
	}
	h.pending[key] = time.AfterFunc(h.timeout, func() { h.expire(key, nc) })
}

// done disarms the deadline of a connection whose peer is authenticated.
func (h *handshakes) done(c network.ConnMultiaddrs) {
	key := connKey(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.pending[key]; ok {
		t.Stop()
		delete(h.pending, key)
	}
}

func (h *handshakes) expire(key string, nc net.Conn) {
	h.mu.Lock()
	_, ok := h.pending[key]
	delete(h.pending, key)
	h.mu.Unlock()
	if ok && nc.Close() == nil {
		h.count("inbound_handshake_timeouts", 1)
	}
}

// inFlight is the number of connections whose deadline runs (tests check
// that none is left behind).
func (h *handshakes) inFlight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pending)
}

func connKey(c network.ConnMultiaddrs) string {
	return c.LocalMultiaddr().String() + " " + c.RemoteMultiaddr().String()
}
