package api

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connLimiter caps the API's open connections so that local processes
// without the token cannot take the node's file descriptors: 20,000 idle
// connections to /healthz once left the API silent and libp2p unable to
// open sockets. At the cap a new connection evicts the oldest connection
// that has not carried an authorised request (an idle or slow-loris
// connection, a /healthz prober, a 401), else the oldest that carried
// only dashboard-session requests (a session is less than the token: its
// cookie may have leaked to another local web server); when every
// connection carried the token the new one is closed. So a flood without
// the token can delay the token holder by one connect, never lock it out.
type connLimiter struct {
	net.Listener
	max int
	log *slog.Logger

	mu      sync.Mutex                // guards conns and next
	conns   map[*limitedConn]struct{} // the open connections
	next    uint64                    // order of the next accepted connection
	evicted atomic.Uint64             // connections closed to make room
	refused atomic.Uint64             // new connections closed because all carried the token
	warned  atomic.Int64              // unix seconds of the last warning
}

// capWarnEvery spaces the warnings that the cap is reached: a flood must
// not flood the log too.
const capWarnEvery = time.Minute

func newConnLimiter(ln net.Listener, max int, log *slog.Logger) *connLimiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &connLimiter{Listener: ln, max: max, log: log, conns: map[*limitedConn]struct{}{}}
}

// limitedConn is one connection counted by a connLimiter.
type limitedConn struct {
	net.Conn
	l     *connLimiter
	order uint64
	trust atomic.Int32 // the highest trust of a request that came over it
	once  sync.Once
}

// Accept returns the next connection, making room for it first.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
	}
}

// admit counts c, evicting the least trusted, oldest connection at the
// cap. It closes c and returns nil when every open connection carried the
// token.
func (l *connLimiter) admit(c net.Conn) *limitedConn {
	l.mu.Lock()
	var victim *limitedConn
	if len(l.conns) >= l.max {
		if victim = l.evictable(); victim == nil {
			l.mu.Unlock()
			l.refused.Add(1)
			c.Close()
			l.warnCap()
			return nil
		}
		delete(l.conns, victim)
	}
	lc := &limitedConn{Conn: c, l: l, order: l.next}
	l.next++
	l.conns[lc] = struct{}{}
	l.mu.Unlock()
	if victim != nil {
		l.evicted.Add(1)
		victim.Close()
		l.warnCap()
	}
	return lc
}

// warnCap logs, at most every capWarnEvery, that the cap is being hit: a
// local process is probably flooding the API.
func (l *connLimiter) warnCap() {
	now := time.Now().Unix()
	last := l.warned.Load()
	if now-last < int64(capWarnEvery/time.Second) || !l.warned.CompareAndSwap(last, now) {
		return
	}
	l.log.Warn("API connection cap reached: closing the connections that proved least (a local process may be flooding the API)",
		"max_conns", l.max, "evicted", l.evicted.Load(), "refused", l.refused.Load())
}

// evictable is the open connection of least trust, the oldest among
// equals, never one that carried the token (nil then). It scans the open
// connections (at most max); l.mu must be held.
func (l *connLimiter) evictable() *limitedConn {
	var pick *limitedConn
	var pickTrust trust
	for c := range l.conns {
		t := trust(c.trust.Load())
		if t == trustToken {
			continue
		}
		if pick == nil || t < pickTrust || (t == pickTrust && c.order < pick.order) {
			pick, pickTrust = c, t
		}
	}
	return pick
}

// Close closes the connection and frees its place.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return err
}

// connKey is the context key of a request's limitedConn.
type connKey struct{}

// withConn is the server's ConnContext: it lets handlers reach their
// connection.
func withConn(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// trust is what a connection has proved: nothing, a dashboard session, or
// the API token.
type trust int32

const (
	trustNone trust = iota
	trustSession
	trustToken
)

// markTrusted records that a request authorised with t came over its
// connection; a connection keeps the highest trust it has seen.
func markTrusted(ctx context.Context, t trust) {
	lc, ok := ctx.Value(connKey{}).(*limitedConn)
	if !ok {
		return
	}
	for {
		cur := lc.trust.Load()
		if trust(cur) >= t || lc.trust.CompareAndSwap(cur, int32(t)) {
			return
		}
	}
}
