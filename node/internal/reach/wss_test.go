package reach

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/libp2p/go-libp2p/core/network"
	ma "github.com/multiformats/go-multiaddr"
)

// connectProxy is a minimal HTTP CONNECT proxy on loopback: what a site's
// firewall lets out. It notes each CONNECT target.
type connectProxy struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex // guards targets
	targets []string
}

func newConnectProxy(t *testing.T) *connectProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *connectProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.tunnel(c) }()
	}
}

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.mu.Unlock()
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	<-done
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// TestWSSThroughProxy: a host listening only on WebSocket over TLS is
// reached by a partner whose only way out is an HTTP CONNECT proxy, and
// a stream runs over that connection.
func TestWSSThroughProxy(t *testing.T) {
	saved := websocket.DefaultDialer.Proxy
	t.Cleanup(func() { websocket.DefaultDialer.Proxy = saved })
	proxy := newConnectProxy(t)
	site := newTestHost(t, DefaultConfig(), []string{"/ip4/127.0.0.1/tcp/0/tls/ws"}, &pinned{})
	site.SetStreamHandler(echoProto, func(s network.Stream) { io.Copy(s, s); s.Close() })
	cfg := DefaultConfig()
	cfg.Proxy = "http://" + proxy.ln.Addr().String()
	behind := newTestHost(t, cfg, nil, &pinned{})
	addr := directListen(t, site)
	if !strings.HasSuffix(addr, "/tls/ws") {
		t.Fatalf("site listens at %s, want a /tls/ws address", addr)
	}
	if err := connectTo(t, behind, site, addr); err != nil {
		t.Fatalf("dial %s through the proxy: %v", addr, err)
	}
	port, _ := mustAddr(t, addr).ValueForProtocol(ma.P_TCP)
	if got := proxy.seen(); len(got) != 1 || got[0] != "127.0.0.1:"+port {
		t.Fatalf("proxy saw CONNECT %v, want one to 127.0.0.1:%s", got, port)
	}
	ctx, cancel := testContext()
	defer cancel()
	s, err := behind.NewStream(ctx, site.ID(), echoProto)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, s)
}

func TestParseProxy(t *testing.T) {
	for _, good := range []string{"", "http://proxy.example:3128", "https://10.0.0.1:8443"} {
		if _, err := ParseProxy(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"proxy.example:3128", "socks5://proxy:1080", "http://", "://x"} {
		if _, err := ParseProxy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
