package reach

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
	"github.com/libp2p/go-libp2p"
	ws "github.com/libp2p/go-libp2p/p2p/transport/websocket"
)

// wssTransport is libp2p's WebSocket transport with TLS (listen and dial
// /tcp/PORT/tls/ws), for sites whose firewall lets out nothing but HTTPS
// (port 443), through a proxy if there is one. The outer TLS only gets the
// connection through: the listener shows a self-signed certificate and
// the dialer does not check it, because the libp2p handshake inside
// (Noise or TLS over the WebSocket) authenticates the pinned partner's
// key, as on TCP.
func wssTransport() (libp2p.Option, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, fmt.Errorf("certificate for the wss listener: %w", err)
	}
	return libp2p.Transport(ws.New,
		ws.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		ws.WithTLSClientConfig(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}), //nolint:gosec // see above
	), nil
}

// selfSigned is a fresh ECDSA P-256 certificate valid for a year.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "kpnode"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// ParseProxy checks the proxy setting: "" (use HTTPS_PROXY from the
// environment), or an http:// or https:// URL with a host.
func ParseProxy(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy %q: want http://HOST:PORT or https://HOST:PORT", s)
	}
	return u, nil
}

// useProxy makes the WebSocket dials of this process go through u
// instead of HTTPS_PROXY / NO_PROXY from the environment (the default,
// which never proxies loopback). libp2p's WebSocket transport dials with
// the gorilla/websocket default dialer's proxy function, which is
// process-wide: a process runs one node.
func useProxy(u *url.URL) {
	websocket.DefaultDialer.Proxy = http.ProxyURL(u)
}
