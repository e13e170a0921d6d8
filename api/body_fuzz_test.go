package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// bodyRoutes are the routes that read a request body, with the
// method and path the fuzz target sends it to.
var bodyRoutes = []struct{ method, path string }{
	{"POST", "/api/partners"},
	{"PUT", "/api/partners/BE/addrs"},
	{"POST", "/api/records/notice"},
	{"POST", "/api/records/certificate"},
	{"POST", "/api/imports/certificates?format=csv&to=all"},
	{"POST", "/api/imports/trade-statistics?format=json"},
	{"POST", "/api/findings/ack"},
	{"POST", "/api/notices/BE/1/ack"},
	{"POST", "/signin"},
}

// FuzzAPIBodies sends arbitrary request bodies to every route that reads
// one, on a real node (in-memory store) with partner BE pinned: the API
// must never panic or answer 5xx, and every refusal must be a JSON error
// with a code and a message.
func FuzzAPIBodies(f *testing.F) {
	srv, _ := newTestAPI(f, "IN")
	h := srv.Config.Handler
	be := partnerCard(f, "BE")
	if code, body := serve(h, "POST", "/api/partners", be); code != http.StatusOK {
		f.Fatalf("pin BE: %d %s", code, body)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		f.Fatal(err)
	}
	certs, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		f.Fatal(err)
	}
	for i, body := range [][]byte{
		be,
		[]byte(`{"addrs": ["/ip4/127.0.0.1/tcp/4001"]}`),
		append(append([]byte(`{"to": ["BE"], "record": `), notice...), '}'),
		[]byte(`{"to": [], "record": {"number": 1}}`),
		certs,
		[]byte(`[{"reporter": "IN"}]`),
		[]byte(`{"id": "R1/IN/x", "note": "seen"}`),
		[]byte(`{"remarks": "noted"}`),
		[]byte(`{"code": "abc"}`),
	} {
		f.Add(uint8(i), body)
		f.Add(uint8(i), []byte(`{"to": ["BE"]} {}`))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := bodyRoutes[int(route)%len(bodyRoutes)]
		code, out := serve(h, r.method, r.path, body)
		if code >= 500 {
			t.Fatalf("%s %s answered %d: %s", r.method, r.path, code, out)
		}
		if code >= 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(out, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s answered %d without a JSON error: %s", r.method, r.path, code, out)
			}
		}
	})
}

// serve runs one request through h with the test token.
func serve(h http.Handler, method, path string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Host = "127.0.0.1" // httptest's example.com is a foreign host
	req.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// partnerCard is the signed card of a fresh identity with code.
func partnerCard(tb testing.TB, code string) []byte {
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := protocol.SignCard(protocol.Card{Code: code, Name: "Authority " + code, Addrs: []string{"/ip4/127.0.0.1/tcp/9"}, Created: time.Now()}, id)
	if err != nil {
		tb.Fatal(err)
	}
	return sc.Bytes()
}
