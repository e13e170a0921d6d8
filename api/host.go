package api

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// hostGuard refuses requests whose Host header is not one of the node's
// own names, on every route: a page on a rebound DNS name (evil.example
// resolving to 127.0.0.1) reaches the listener, but its requests carry
// Host: evil.example and get 421 before any handler runs.
type hostGuard struct {
	names map[string]bool // lower-case host names and IP literals, no brackets
	port  string          // the listening port; "" accepts any port
}

// loopbackNames are accepted on every node.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

// newHostGuard accepts the loopback names and the configured API host
// (unless it is the unspecified address) on the bound port. An empty
// bound address accepts the loopback names on any port (an httptest
// server in tests).
func newHostGuard(configured, bound string) (*hostGuard, error) {
	g := &hostGuard{names: map[string]bool{}}
	for _, n := range loopbackNames {
		g.names[n] = true
	}
	if bound != "" {
		_, port, err := net.SplitHostPort(bound)
		if err != nil {
			return nil, fmt.Errorf("api listen address %q: %w", bound, err)
		}
		g.port = port
	}
	if configured != "" {
		host, _, err := net.SplitHostPort(configured)
		if err != nil {
			return nil, fmt.Errorf("configured api address %q: %w", configured, err)
		}
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			g.names[normalHost(host)] = true
		}
	}
	return g, nil
}

// allowed reports whether a request's Host header names this node.
func (g *hostGuard) allowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil { // no port: the scheme's default
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), "80"
	}
	if host == "" || !g.names[normalHost(host)] {
		return false
	}
	return g.port == "" || port == g.port
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// foreignHost is the refusal of a request for another host name.
func foreignHost(host string) *Error {
	if len(host) > 100 {
		host = host[:100] + "…"
	}
	return &Error{Status: http.StatusMisdirectedRequest, Code: "foreign_host",
		Message: fmt.Sprintf("this node answers only to localhost, 127.0.0.1, [::1] and its configured API address, not to Host %q (DNS rebinding protection)", host)}
}
