package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// floodCap is the connection cap of the flood test: small, so that a few
// hundred connections are a flood.
const floodCap = 32

// TestFloodWithoutTokenCannotLockOut holds a few hundred connections
// without the token (idle, slow-loris headers, slow bodies, keep-alive
// after /healthz and after a 401) against a real server capped at
// floodCap, and checks that the token still gets answers while the flood
// is held and that the server closed all but floodCap of the flood.
func TestFloodWithoutTokenCannotLockOut(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := DefaultServerConfig()
	cfg.MaxConns = floodCap
	// Only the cap may close the flood during the test, not a timeout.
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.IdleTimeout = time.Minute, time.Minute, time.Minute
	var logged lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	serveInTest(t, cfg, ln, mustHandler(t, n, WithListenAddr("127.0.0.1:0", addr)))

	flood := holdFlood(t, addr)
	tokenAnswered(t, addr)
	if open := stillOpen(flood); open > floodCap {
		t.Fatalf("%d of %d flood connections still open, want at most %d", open, len(flood), floodCap)
	}
	if n := strings.Count(logged.String(), "API connection cap reached"); n != 1 {
		t.Fatalf("the cap was warned about %d times, want once a minute:\n%s", n, logged.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSessionFloodCannotLockOutToken: a dashboard session (its cookie
// may have leaked to another local web server) is less than the token:
// connections that carried only session requests are evicted for a
// newcomer, so they cannot lock the token out either.
func TestSessionFloodCannotLockOutToken(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	h := mustHandler(t, n, WithListenAddr("127.0.0.1:0", addr))
	secret, _ := h.sessions.create(nodePrincipal, "127.0.0.1:1", "flood") // a session of this handler
	cfg := DefaultServerConfig()
	cfg.MaxConns = floodCap
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.IdleTimeout = time.Minute, time.Minute, time.Minute
	serveInTest(t, cfg, ln, h)
	req := "GET /api/status HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + sessionCookie + "=" + secret + "\r\n\r\n"
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range 2 * floodCap {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("session connection %d: %v", i, err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, req); err == nil {
			readReply(c)
		}
		c.SetDeadline(time.Time{})
	}
	tokenAnswered(t, addr)
	if open := stillOpen(conns); open > floodCap {
		t.Fatalf("%d session connections still open, want at most %d", open, floodCap)
	}
}

// tokenAnswered sends three requests with the token, each on a new
// connection, and fails unless each is answered 200 within 10 s.
func tokenAnswered(t *testing.T, addr string) {
	t.Helper()
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/status", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			cancel()
			t.Fatalf("token request %d during the flood: %v", i, err)
		}
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token request %d during the flood: %d", i, resp.StatusCode)
		}
	}
}

// holdFlood opens the flood's connections and returns them, open.
func holdFlood(t *testing.T, addr string) []net.Conn {
	t.Helper()
	host := "Host: " + addr + "\r\n"
	kinds := []struct {
		name      string
		send      string
		readReply bool
	}{
		{"idle", "", false},
		{"slow-loris headers", "GET /healthz HTTP/1.1\r\n" + host + "X-Slow: a", false},
		{"slow body", "POST /api/records/notice HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"to\":", false},
		{"keep-alive after /healthz", "GET /healthz HTTP/1.1\r\n" + host + "\r\n", true},
		{"keep-alive after a 401", "GET /api/status HTTP/1.1\r\n" + host + "\r\n", true},
	}
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range 300 {
		k := kinds[i%len(kinds)]
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("flood connection %d (%s): %v", i, k.name, err)
		}
		conns = append(conns, c)
		if k.send == "" {
			continue
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, k.send); err != nil {
			continue // already evicted
		}
		if k.readReply {
			readReply(c)
		}
		c.SetDeadline(time.Time{})
	}
	return conns
}

// readReply reads one HTTP answer's status line and headers and body, or
// gives up when the connection ends (an evicted one).
func readReply(c net.Conn) {
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// stillOpen counts the connections the server has not closed: a read on
// each ends at once with EOF or a reset when the server closed it, and
// times out after 2 s when it is still open.
func stillOpen(conns []net.Conn) int {
	var mu sync.Mutex
	open := 0
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := io.Copy(io.Discard, c)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				mu.Lock()
				open++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return open
}

// TestEventStreamsCapped: event streams have their own cap below the
// connection cap; one more gets 503 until one closes.
func TestEventStreamsCapped(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serveInTest(t, DefaultServerConfig(), ln, mustHandler(t, n, WithMaxEventStreams(2)))
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/events", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	a, b := open(), open()
	if a.StatusCode != http.StatusOK || b.StatusCode != http.StatusOK {
		t.Fatalf("streams: %d %d", a.StatusCode, b.StatusCode)
	}
	if c := open(); c.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a third stream: %d, want 503", c.StatusCode)
	}
	a.Body.Close()
	eventually(t, "a stream once one closed", func() error {
		if c := open(); c.StatusCode != http.StatusOK {
			c.Body.Close()
			return fmt.Errorf("status %d", c.StatusCode)
		}
		return nil
	})
}
