package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

// TestJudgeReadiness covers each verdict of the readiness probe: loading,
// no partner pinned, pinned partners none connected, one connected, and
// paused partners left out of the count.
func TestJudgeReadiness(t *testing.T) {
	up := node.PartnerStatus{Code: "BE", Connected: true}
	down := node.PartnerStatus{Code: "AE"}
	paused := node.PartnerStatus{Code: "ZA", Paused: true}
	for _, tc := range []struct {
		name     string
		s        node.Status
		ready    bool
		reason   string
		partners string
	}{
		{"none pinned", node.Status{}, true, "", "0 of 0 connected"},
		{"one of two connected", node.Status{Partners: []node.PartnerStatus{down, up}}, true, "", "1 of 2 connected"},
		{"none connected", node.Status{Partners: []node.PartnerStatus{down, down}}, false, "none of the 2 pinned partners is connected", "0 of 2 connected"},
		{"only paused", node.Status{Partners: []node.PartnerStatus{paused}}, true, "", "0 of 0 connected"},
		{"paused and down", node.Status{Partners: []node.PartnerStatus{paused, down}}, false, "none of the 1 pinned partners", "0 of 1 connected"},
		{"loading", node.Status{Reconciliation: node.ReconcileStatus{Loading: true, Records: 7}, Partners: []node.PartnerStatus{up}},
			false, "loading stored records (7 so far)", "1 of 1 connected"},
	} {
		r := judgeReadiness(tc.s)
		if (r.Status == "ready") != tc.ready || !strings.Contains(r.Reason, tc.reason) || r.Partners != tc.partners {
			t.Errorf("%s: %+v, want ready %v, reason %q, partners %q", tc.name, r, tc.ready, tc.reason, tc.partners)
		}
		if tc.ready != (r.Reason == "") {
			t.Errorf("%s: reason %q with ready %v", tc.name, r.Reason, tc.ready)
		}
	}
}

// brokenBackend is a Backend whose status cannot be read (a closed store).
type brokenBackend struct{ Backend }

func (brokenBackend) Status() (node.Status, error) { return node.Status{}, errors.New("store closed") }

// TestReadyzStoreDown: a node whose status cannot be read is not ready
// (503), without a token, and the answer does not carry the inner error.
func TestReadyzStoreDown(t *testing.T) {
	srv := httptest.NewServer(mustHandler(t, brokenBackend{}))
	t.Cleanup(srv.Close)
	code, body := call(t, srv, "GET", "/readyz", "", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "the store does not answer") {
		t.Errorf("readyz with the store down: %d %s", code, body)
	}
	if strings.Contains(string(body), "store closed") {
		t.Errorf("readyz leaks the inner error: %s", body)
	}
}

// TestReadyzRealNodes runs the probe on real nodes: a node alone is ready
// (none pinned); pinning a partner that does not pin it back leaves it not
// ready (503, no token needed); once the partner pins it too and they
// connect, it is ready again. /healthz answers 200 throughout.
func TestReadyzRealNodes(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	waitReady(t, in, http.StatusOK, "alone")
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	if code, body := call(t, in, "POST", "/api/partners", testToken, beCard); code != http.StatusOK {
		t.Fatalf("IN adds BE: %d %s", code, body)
	}
	r := waitReady(t, in, http.StatusServiceUnavailable, "BE not pinning IN")
	if r.Reason != "none of the 1 pinned partners is connected" {
		t.Errorf("reason %q", r.Reason)
	}
	if code, _ := call(t, in, "GET", "/healthz", "", nil); code != http.StatusOK {
		t.Errorf("healthz while not ready: %d, want 200 (liveness)", code)
	}
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	if code, body := call(t, be, "POST", "/api/partners", testToken, inCard); code != http.StatusOK {
		t.Fatalf("BE adds IN: %d %s", code, body)
	}
	if r := waitReady(t, in, http.StatusOK, "both pinned"); r.Partners != "1 of 1 connected" {
		t.Errorf("partners %q", r.Partners)
	}
}

// waitReady polls /readyz (without a token) until it answers want, for at
// most 20 s, and returns the answer.
func waitReady(t *testing.T, srv *httptest.Server, want int, what string) readiness {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := call(t, srv, "GET", "/readyz", "", nil)
		var r readiness
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s: readyz answered %d %q: %v", what, code, body, err)
		}
		if code == want {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: readyz still %d %+v after 20 s, want %d", what, code, r, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
