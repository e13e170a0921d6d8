package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostGuard(t *testing.T) {
	g, err := newHostGuard("kpnode.lan:7441", "127.0.0.1:7441")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"localhost:7441", "LOCALHOST:7441", "localhost.:7441", "127.0.0.1:7441", "[::1]:7441", "kpnode.lan:7441"} {
		if !g.allowed(h) {
			t.Errorf("Host %q refused", h)
		}
	}
	for _, h := range []string{"", "evil.example:7441", "localhost:7442", "localhost", "127.0.0.1", "[::1]", "127.0.0.2:7441",
		"0.0.0.0:7441", "localhost.evil.example:7441", "evil.localhost:7441", "kpnode.lan:80", "127.0.0.1:7441:7441", "[::1]:7441x"} {
		if g.allowed(h) {
			t.Errorf("Host %q accepted", h)
		}
	}
	any, _ := newHostGuard("0.0.0.0:0", "")
	if !any.allowed("127.0.0.1:1234") || !any.allowed("localhost") || any.allowed("0.0.0.0:1234") {
		t.Error("without a bound port: want the loopback names on any port, never the unspecified address")
	}
	port80, _ := newHostGuard("127.0.0.1:80", "127.0.0.1:80")
	if !port80.allowed("localhost") || !port80.allowed("[::1]") {
		t.Error("on port 80 the Host may omit the port")
	}
	if _, err := newHostGuard("no-port", "127.0.0.1:1"); err == nil {
		t.Error("a configured address without a port was accepted")
	}
}

// TestForeignHostRefused: a real server refuses every route, public ones
// included, for a host name that is not the node's (a DNS-rebound page),
// even with the token; the node's own names work.
func TestForeignHostRefused(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	h := mustHandler(t, n, WithListenAddr("127.0.0.1:0", addr))
	serveInTest(t, DefaultServerConfig(), ln, h)
	routes := []struct{ method, path string }{
		{"GET", "/healthz"}, {"GET", "/"}, {"GET", "/static/js/main.js"}, {"GET", "/api/status"},
		{"POST", "/signin"}, {"GET", "/metrics"}, {"GET", "/nowhere"},
	}
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1:1", "localhost.evil.example:" + port} {
		for _, r := range routes {
			code, body := hostRequest(t, addr, host, r.method, r.path)
			if code != http.StatusMisdirectedRequest || !strings.Contains(body, "foreign_host") || !strings.Contains(body, "DNS rebinding") {
				t.Errorf("%s %s with Host %s: %d %s, want 421 foreign_host", r.method, r.path, host, code, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port} {
		if code, body := hostRequest(t, addr, host, "GET", "/api/status"); code != http.StatusOK {
			t.Errorf("GET /api/status with Host %s: %d %s", host, code, body)
		}
		if code, _ := hostRequest(t, addr, host, "GET", "/healthz"); code != http.StatusOK {
			t.Errorf("GET /healthz with Host %s: %d", host, code)
		}
	}
}

// hostRequest sends a request with the token to addr with the Host
// header host.
func hostRequest(t *testing.T, addr, host, method, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serveInTest serves h on ln with cfg until the test ends.
func serveInTest(t *testing.T, cfg ServerConfig, ln net.Listener, h http.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cfg.Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10 s of shutdown")
		}
	})
}
