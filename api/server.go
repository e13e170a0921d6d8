package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerConfig bounds what the API's clients can hold: connections, and
// how long a connection may take to send its request or sit idle.
type ServerConfig struct {
	// MaxConns caps the open connections; at the cap a new connection
	// evicts the oldest one that carried no authorised request
	// (connlimit.go). MaxConnsFor derives it from the descriptor limit.
	MaxConns int
	// ReadHeaderTimeout bounds sending a request's headers (slow loris).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer (the event stream sets its own
	// deadline for each write).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection left idle this long.
	IdleTimeout time.Duration
	// Logger receives the warning that the connection cap is being hit
	// (at most once a minute); nil discards it.
	Logger *slog.Logger
}

// DefaultMaxConns is the connection cap when descriptors are plenty:
// a node has one operator's CLI and a few dashboard tabs as clients.
const DefaultMaxConns = 256

// DefaultServerConfig returns the daemon's bounds.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		MaxConns:          DefaultMaxConns,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
}

// MaxConnsFor is the API's share of a process descriptor limit of fdLimit:
// an eighth, at most DefaultMaxConns and at least 16. libp2p's resource
// manager takes half of the limit, Badger's tables and value logs and the
// node's own files what is left (docs/operations.md, "File descriptors").
func MaxConnsFor(fdLimit int) int {
	return max(16, min(DefaultMaxConns, fdLimit/8))
}

// Validate names the first bad field.
func (c ServerConfig) Validate() error {
	switch {
	case c.MaxConns < 1:
		return fmt.Errorf("api server MaxConns %d: want at least 1", c.MaxConns)
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0:
		return errors.New("api server timeouts: want all positive")
	}
	return nil
}

// Serve serves h on ln with DefaultServerConfig until ctx ends.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return DefaultServerConfig().Serve(ctx, ln, h)
}

// Serve serves h on ln until ctx ends, then shuts down gracefully (bounded
// by five seconds). It returns nil after a clean shutdown.
func (c ServerConfig) Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	if err := c.Validate(); err != nil {
		return err
	}
	// Requests' contexts end at shutdown, so long event streams end too
	// instead of holding Shutdown for its whole grace period.
	base, stop := context.WithCancel(context.Background())
	defer stop()
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnContext:       withConn,
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newConnLimiter(ln, c.MaxConns, c.Logger)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	srv.RegisterOnShutdown(stop)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
