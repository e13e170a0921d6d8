package exchange

import (
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// pipeConn is one end of an in-memory connection with the multiaddrs the
// gater sees: a TCP connection being accepted.
type pipeConn struct {
	net.Conn
	local, remote ma.Multiaddr
	closed        atomic.Bool
}

func (c *pipeConn) LocalMultiaddr() ma.Multiaddr  { return c.local }
func (c *pipeConn) RemoteMultiaddr() ma.Multiaddr { return c.remote }
func (c *pipeConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

func newPipeConn(t *testing.T, port string) *pipeConn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &pipeConn{Conn: a, local: ma.StringCast("/ip4/127.0.0.1/tcp/4101"), remote: ma.StringCast("/ip4/192.0.2.9/tcp/" + port)}
}

// TestHandshakeDeadline: an accepted connection that has not
// authenticated its peer within the timeout is closed and counted, at the
// timeout and not before; one that authenticates in time is left open and
// leaves no timer behind. It runs on synctest's fake clock.
func TestHandshakeDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var closed atomic.Uint64
		h := newHandshakes(handshakeTimeout, func(name string, n uint64) {
			if name == "inbound_handshake_timeouts" {
				closed.Add(n)
			}
		})
		slow, quick := newPipeConn(t, "50001"), newPipeConn(t, "50002")
		h.start(slow)
		h.start(quick)
		time.Sleep(handshakeTimeout - time.Millisecond)
		synctest.Wait()
		if slow.closed.Load() || closed.Load() != 0 {
			t.Fatal("a connection closed before its handshake deadline")
		}
		h.done(quick)
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if !slow.closed.Load() || closed.Load() != 1 {
			t.Fatalf("at the deadline: slow closed %v, %d counted; want closed, 1", slow.closed.Load(), closed.Load())
		}
		time.Sleep(handshakeTimeout)
		synctest.Wait()
		if quick.closed.Load() || h.inFlight() != 0 {
			t.Fatalf("authenticated connection closed %v, %d timers left; want open, none", quick.closed.Load(), h.inFlight())
		}
	})
}
