package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

const testToken = "test-token-0123456789"

// newTestAPI serves a real node (in-memory store, libp2p host on loopback)
// through the API.
func newTestAPI(t testing.TB, code string) (*httptest.Server, *node.Node) {
	t.Helper()
	return newTestAPIWith(t, code, nil)
}

// newTestAPIWith is newTestAPI with prepare run on the store before the
// node opens it (nil: nothing).
func newTestAPIWith(t testing.TB, code string, prepare func(*store.Store) error) (*httptest.Server, *node.Node) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if prepare != nil {
		if err := prepare(st); err != nil {
			t.Fatal(err)
		}
	}
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.DefaultConfig(code, "Authority "+code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n, err := node.New(cfg, id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	srv := httptest.NewServer(mustHandler(t, n))
	t.Cleanup(srv.Close)
	return srv, n
}

// mustHandler is the API handler of b with the test token.
func mustHandler(t testing.TB, b Backend, opts ...Option) *Handler {
	t.Helper()
	h, err := NewHandler(b, crypto.Secret(testToken), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func call(t testing.TB, srv *httptest.Server, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func errorCode(t *testing.T, b []byte) string {
	t.Helper()
	var e struct{ Error Error }
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e.Error.Code
}

func TestAuth(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	for _, tok := range []string{"", "wrong", testToken + "x"} {
		code, body := call(t, srv, "GET", "/api/status", tok, nil)
		if code != http.StatusUnauthorized || errorCode(t, body) != "unauthorized" {
			t.Errorf("token %q: got %d %s, want 401 unauthorized", tok, code, body)
		}
	}
	if code, _ := call(t, srv, "GET", "/api/nowhere", "", nil); code != http.StatusUnauthorized {
		t.Errorf("unknown route without token: %d, want 401", code)
	}
	if code, body := call(t, srv, "GET", "/api/nowhere", testToken, nil); code != http.StatusNotFound || errorCode(t, body) != "not_found" {
		t.Errorf("unknown route: %d %s", code, body)
	}
	if code, body := call(t, srv, "GET", "/healthz", "", nil); code != http.StatusOK || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz: %d %s", code, body)
	}
}

func TestPublishFlow(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, card := call(t, be, "GET", "/api/card", testToken, nil)
	if code, body := call(t, in, "POST", "/api/partners", testToken, card); code != http.StatusOK {
		t.Fatalf("add partner: %d %s", code, body)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: notice})
	code, body := call(t, in, "POST", "/api/records/notice", testToken, req)
	if code != http.StatusCreated {
		t.Fatalf("publish: %d %s", code, body)
	}
	var p node.Published
	json.Unmarshal(body, &p)
	if p.Seq != 1 || len(p.Audience) != 1 || p.Audience[0] != "BE" {
		t.Fatalf("published %+v", p)
	}
	code, body = call(t, in, "GET", "/api/feeds/IN/entries", testToken, nil)
	var entries []node.FeedEntry
	if err := json.Unmarshal(body, &entries); err != nil || code != 200 || len(entries) != 1 || len(entries[0].Record) == 0 {
		t.Fatalf("feed: %d %s", code, body)
	}
}

func TestErrors(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	cases := []struct {
		name, method, path string
		body               string
		status             int
		code               string
	}{
		{"malformed publish body", "POST", "/api/records/notice", `{"to":`, 400, "bad_request"},
		{"unknown body field", "POST", "/api/records/notice", `{"to":["BE"],"record":{},"x":1}`, 400, "bad_request"},
		{"missing record", "POST", "/api/records/notice", `{"to":["BE"]}`, 400, "bad_request"},
		{"unknown type", "POST", "/api/records/potato", `{"to":["BE"],"record":{}}`, 400, "unknown_record_type"},
		{"invalid record", "POST", "/api/records/notice", `{"to":["BE"],"record":{"version":1}}`, 422, "invalid_record"},
		{"unpinned audience", "POST", "/api/records/notice", `{"to":["BE"],"record":` + exampleNotice(t) + `}`, 404, "unknown_partner"},
		{"unknown participant", "POST", "/api/records/notice", `{"to":["XX"],"record":` + exampleNotice(t) + `}`, 400, "unknown_participant"},
		{"garbage card", "POST", "/api/partners", `not a card`, 400, "invalid_card"},
		{"remove unknown partner", "DELETE", "/api/partners/BE", ``, 404, "unknown_partner"},
		{"bad query", "GET", "/api/feeds/IN/entries?from=-1", ``, 400, "bad_request"},
		{"feed of unknown participant", "GET", "/api/feeds/XX/entries", ``, 400, "unknown_participant"},
		{"feed of unpinned partner", "GET", "/api/feeds/BE/entries", ``, 404, "unknown_partner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := call(t, srv, c.method, c.path, testToken, []byte(c.body))
			if code != c.status || errorCode(t, body) != c.code {
				t.Fatalf("got %d %s, want %d %s", code, body, c.status, c.code)
			}
		})
	}
}

func TestInvalidRecordNamesFields(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	_, body := call(t, srv, "POST", "/api/records/notice", testToken, []byte(`{"to":["BE"],"record":{"version":1,"kind":"x"}}`))
	var e struct{ Error Error }
	json.Unmarshal(body, &e)
	fields := map[string]bool{}
	for _, f := range e.Error.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"kind", "title", "reference"} {
		if !fields[want] {
			t.Errorf("field %q not reported in %s", want, body)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	big := bytes.Repeat([]byte("a"), MaxBodyBytes+1)
	code, body := call(t, srv, "POST", "/api/partners", testToken, big)
	if code != http.StatusRequestEntityTooLarge || errorCode(t, body) != "too_large" {
		t.Fatalf("got %d %s", code, body)
	}
}

func exampleNotice(t *testing.T) string {
	b, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noticeBy returns the example notice as code's own detection (a record
// speaks only for its author: docs/records.md §1.1), titled title.
func noticeBy(t *testing.T, code, title string) string {
	n := exampleNotice(t)
	for old, repl := range map[string]string{
		`"detected_by": "IN"`:                        `"detected_by": "` + code + `"`,
		`"IN-N-2026-0031"`:                           `"` + code + `-N-2026-0031"`,
		"Forged AE certificates presented in Mumbai": title,
	} {
		if !strings.Contains(n, old) {
			t.Fatalf("docs/examples/notice.json no longer holds %s", old)
		}
		n = strings.Replace(n, old, repl, 1)
	}
	return n
}

func TestPartnerAddrs(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, beNode := newTestAPI(t, "BE")
	_, card := call(t, be, "GET", "/api/card", testToken, nil)
	if code, body := call(t, in, "POST", "/api/partners", testToken, card); code != http.StatusOK {
		t.Fatalf("add partner: %d %s", code, body)
	}
	put := func(body string) (int, []byte) {
		return call(t, in, "PUT", "/api/partners/BE/addrs", testToken, []byte(body))
	}
	self := "/ip4/192.0.2.1/tcp/4101/p2p/" + beNode.Identity().PeerID()
	code, body := put(`{"addrs": ["` + self + `", "/dns4/kp.example/udp/4101/quic-v1", "/ip4/192.0.2.1/tcp/4101"]}`)
	var p node.Partner
	if err := json.Unmarshal(body, &p); code != http.StatusOK || err != nil {
		t.Fatalf("set addrs: %d %s", code, body)
	}
	want := []string{"/ip4/192.0.2.1/tcp/4101", "/dns4/kp.example/udp/4101/quic-v1"}
	if strings.Join(p.AddrOverride, " ") != strings.Join(want, " ") {
		t.Fatalf("override %q, want %q (canonical, no /p2p/, no duplicates)", p.AddrOverride, want)
	}
	if len(p.Addrs) == 0 {
		t.Errorf("the card's addresses are gone: %s", body)
	}
	_, body = call(t, in, "GET", "/api/partners", testToken, nil)
	if !strings.Contains(string(body), "kp.example") {
		t.Errorf("partners list lacks the override: %s", body)
	}
	if code, body = put(`{"addrs": []}`); code != http.StatusOK || strings.Contains(string(body), "addr_override") {
		t.Fatalf("clear: %d %s", code, body)
	}
}

func TestPartnerAddrsErrors(t *testing.T) {
	in := pinnedPair(t)
	other := "/ip4/192.0.2.1/tcp/4101/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
	cases := []struct {
		name, path, body string
		status           int
		code, message    string
	}{
		{"not a multiaddr", "BE", `{"addrs": ["/ip4/192.0.2.1/tcp/4101", "/ip4/999.1.1.1/tcp/1"]}`, 400, "invalid_address", "/ip4/999.1.1.1/tcp/1"},
		{"no transport", "BE", `{"addrs": ["/ip4/192.0.2.1"]}`, 400, "invalid_address", "want an IP or DNS address"},
		{"relay", "BE", `{"addrs": ["` + other + `/p2p-circuit"]}`, 400, "invalid_address", "p2p-circuit"},
		{"another peer", "BE", `{"addrs": ["` + other + `"]}`, 400, "invalid_address", "not the partner"},
		{"unknown partner", "AE", `{"addrs": ["/ip4/192.0.2.1/tcp/4101"]}`, 404, "unknown_partner", "AE"},
		{"unknown participant", "XX", `{"addrs": []}`, 400, "unknown_participant", "XX"},
		{"missing addrs", "BE", `{}`, 400, "bad_request", "required"},
		{"malformed body", "BE", `{"addrs": "/ip4/192.0.2.1/tcp/4101"}`, 400, "bad_request", "request body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := call(t, in, "PUT", "/api/partners/"+c.path+"/addrs", testToken, []byte(c.body))
			if code != c.status || errorCode(t, body) != c.code || !strings.Contains(string(body), c.message) {
				t.Fatalf("got %d %s, want %d %s mentioning %q", code, body, c.status, c.code, c.message)
			}
		})
	}
	_, body := call(t, in, "GET", "/api/partners", testToken, nil)
	if strings.Contains(string(body), "addr_override") {
		t.Errorf("a refused override was stored: %s", body)
	}
}

func TestMetrics(t *testing.T) {
	in := pinnedPair(t)
	publishNotices(t, in, 1)
	if code, _ := call(t, in, "GET", "/metrics", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("metrics without token: %d", code)
	}
	for seq := range 5 { // five paths of one route, all 404
		call(t, in, "GET", fmt.Sprintf("/api/records/IN/%d", 100+seq), testToken, nil)
	}
	code, body := call(t, in, "GET", "/metrics", testToken, nil)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d %s", code, body)
	}
	if strings.Contains(string(body), "/api/records/IN/10") {
		t.Errorf("a request's path became a label value:\n%s", body)
	}
	for _, want := range []string{
		`kpnode_entries_total{event="published"} 1`,
		`kpnode_partner_undelivered{partner="BE"} 1`,
		`kpnode_partners 1`,
		`kpnode_api_request_seconds_count{code="2xx",method="POST",route="/api/records/{type}"} 1`,
		`kpnode_api_request_seconds_count{code="4xx",method="GET",route="/api/records/{feed}/{seq}"} 5`,
		`libp2p_rcmgr_connections{dir="inbound",scope="system"}`,
		`# TYPE libp2p_rcmgr_limit gauge`,
		`kpnode_partner_cooling_off{partner="BE"} 0`,
		`kpnode_partner_graylisted_total{partner="BE"} 0`,
		`# TYPE kpnode_partner_score gauge`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestRecordsPaging(t *testing.T) {
	in := pinnedPair(t)
	publishNotices(t, in, 5)
	var seqs []uint64
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		code, body := call(t, in, "GET", "/api/records?type=notice&feed=IN&limit=2&cursor="+cursor, testToken, nil)
		var page RecordPage
		if err := json.Unmarshal(body, &page); err != nil || code != http.StatusOK {
			t.Fatalf("page: %d %s", code, body)
		}
		for _, r := range page.Records {
			seqs = append(seqs, r.Seq)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(seqs) != "[5 4 3 2 1]" {
		t.Fatalf("paged seqs %v, want newest first [5 4 3 2 1]", seqs)
	}
	code, body := call(t, in, "GET", "/api/records/IN/3", testToken, nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"fraudulent_certificate"`) {
		t.Fatalf("get record: %d %s", code, body)
	}
	if code, body := call(t, in, "GET", "/api/records/IN/99", testToken, nil); code != http.StatusNotFound {
		t.Fatalf("missing record: %d %s", code, body)
	}
	if code, _ := call(t, in, "GET", "/api/records?cursor=xyz", testToken, nil); code != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d", code)
	}
}

// pinnedPair serves IN and BE and pins BE's card on IN; it returns IN's
// server.
func pinnedPair(t *testing.T) *httptest.Server {
	t.Helper()
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, card := call(t, be, "GET", "/api/card", testToken, nil)
	if code, body := call(t, in, "POST", "/api/partners", testToken, card); code != http.StatusOK {
		t.Fatalf("add partner: %d %s", code, body)
	}
	return in
}

// publishNotices publishes n copies of the example notice from srv to BE.
func publishNotices(t *testing.T, srv *httptest.Server, n int) {
	t.Helper()
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(exampleNotice(t))})
	for range n {
		if code, body := call(t, srv, "POST", "/api/records/notice", testToken, req); code != http.StatusCreated {
			t.Fatalf("publish: %d %s", code, body)
		}
	}
}
