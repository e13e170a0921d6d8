package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
)

// staffAPI is a real node served with staff accounts: one user of each
// role (password staffPassword) and a staff token for each.
type staffAPI struct {
	srv    *httptest.Server
	n      *node.Node
	h      *Handler
	dir    *staff.Directory
	tokens map[staff.Role]string // a user token of each role's user
}

const staffPassword = "a long enough password"

// users of newStaffAPI, by role.
var staffUsers = map[staff.Role]string{staff.Viewer: "vera", staff.Clerk: "carl", staff.Administrator: "ada"}

func newStaffAPI(t testing.TB, code string, opts ...Option) *staffAPI {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir, err := staff.Open(st, staff.Config{BcryptCost: bcrypt.MinCost, Now: time.Now})
	if err != nil {
		t.Fatal(err)
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
	h := mustHandler(t, n, append([]Option{WithStaff(dir)}, opts...)...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	a := &staffAPI{srv: srv, n: n, h: h, dir: dir, tokens: map[staff.Role]string{}}
	for role, name := range staffUsers {
		if _, err := dir.AddUser("node", name, role, crypto.Secret(staffPassword)); err != nil {
			t.Fatal(err)
		}
		secret, _, err := dir.CreateToken("node", staff.TokenRequest{Name: name + "-cli", User: name})
		if err != nil {
			t.Fatal(err)
		}
		a.tokens[role] = secret
	}
	return a
}

// publicRoutes are the routes served without a role: liveness,
// readiness (which names no partner and no error) and the sign-in itself.
var publicRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "POST /signin": true}

// readOnlyWrites are the routes a viewer may call with a method other
// than GET: they check or end something of the caller's own and change
// nothing of the node's.
var readOnlyWrites = map[string]bool{
	"POST /api/verify": true, "POST /api/audit/verify": true, "POST /api/records/{type}/check": true, "POST /signout": true,
}

// adminReads are the GET routes that only an administrator may call:
// they list staff, tokens and sessions.
var adminReads = map[string]bool{"GET /api/users": true, "GET /api/tokens": true, "GET /api/sessions": true}

// samplePath fills a route pattern's wildcards.
func samplePath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	for w, v := range map[string]string{"{code}": "BE", "{type}": "notice", "{feed}": "BE", "{seq}": "1", "{author}": "BE",
		"{kind}": "certificates", "{period}": "2026-Q1", "{id...}": "x", "{id}": "x", "{name}": "nobody"} {
		path = strings.ReplaceAll(path, w, v)
	}
	return method, path
}

// TestEveryRouteHasOneRole enumerates the route table: every route but
// the public ones needs exactly one role; every write needs at least a
// clerk; a viewer is refused every route above viewer and a clerk every
// administrator's route, with 403 role_required, while a viewer reaches
// every viewer's route. A route added without a role, or a write left
// open to viewers, fails here.
func TestEveryRouteHasOneRole(t *testing.T) {
	a := newStaffAPI(t, "IN")
	seen := map[string]bool{}
	for _, p := range a.h.patterns {
		if seen[p] {
			t.Errorf("route %s registered twice", p)
		}
		seen[p] = true
		role, ok := a.h.roles[p]
		switch {
		case publicRoutes[p]:
			if ok {
				t.Errorf("public route %s has a role", p)
			}
			continue
		case !ok || !role.Valid():
			t.Errorf("route %s has no role", p)
			continue
		}
		method, path := samplePath(p)
		if method != http.MethodGet && !readOnlyWrites[p] && role < staff.Clerk {
			t.Errorf("route %s changes the node but a %s may call it", p, role)
		}
		if adminReads[p] != (method == http.MethodGet && role == staff.Administrator) {
			t.Errorf("route %s: role %s, want administrator exactly for %v", p, role, adminReads)
		}
		for _, caller := range []staff.Role{staff.Viewer, staff.Clerk} {
			code, body := probe(t, a.srv, method, path, a.tokens[caller])
			refused := code == http.StatusForbidden && errorCode(t, body) == "role_required"
			if refused != (role > caller) {
				t.Errorf("%s as a %s (route needs %s): %d %s", p, caller, role, code, body)
			}
		}
	}
	if len(a.h.roles) < 50 {
		t.Fatalf("only %d routes with roles: the table was not read", len(a.h.roles))
	}
}

// TestViewerCannotPublish: a viewer is refused publishing, importing and
// acknowledging by every way in (its token, its dashboard session); a
// clerk publishes; nothing is appended for the viewer.
func TestViewerCannotPublish(t *testing.T) {
	a := newStaffAPI(t, "IN")
	a.pin(t, "BE")
	notice, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: json.RawMessage(noticeBy(t, "IN", "Viewer tries"))})
	code, body := call(t, a.srv, "POST", "/api/records/notice", a.tokens[staff.Viewer], notice)
	if code != http.StatusForbidden || errorCode(t, body) != "role_required" || !strings.Contains(string(body), "clerk") {
		t.Fatalf("viewer's token publishes: %d %s", code, body)
	}
	c := passwordSignIn(t, a.srv, "vera", staffPassword)
	resp, body := send(t, a.srv, "POST", "/api/records/notice", notice, map[string]any{"c": c, "Origin": a.srv.URL, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusForbidden || errorCode(t, body) != "role_required" {
		t.Fatalf("viewer's session publishes: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/api/imports/certificates", "/api/findings/ack", "/api/valuation"} {
		resp, body := send(t, a.srv, "POST", p, []byte(`{}`), map[string]any{"c": c, "Origin": a.srv.URL, "Sec-Fetch-Site": "same-origin"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer's session POST %s: %d %s", p, resp.StatusCode, body)
		}
	}
	if st, _ := a.n.Status(); len(st.Feeds) != 0 && st.Feeds[0].Seq != 0 {
		t.Fatalf("the viewer's attempts appended: %+v", st.Feeds)
	}
	if code, body := call(t, a.srv, "POST", "/api/records/notice", a.tokens[staff.Clerk], notice); code != http.StatusCreated {
		t.Fatalf("clerk publishes: %d %s", code, body)
	}
}

// passwordSignIn signs user in with a password and returns the session
// cookie.
func passwordSignIn(t testing.TB, srv *httptest.Server, user, password string) *http.Cookie {
	t.Helper()
	body, _ := json.Marshal(SigninRequest{User: user, Password: password})
	resp, b := send(t.(*testing.T), srv, "POST", "/signin", body, nil)
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	t.Fatalf("sign in as %s: %d %s", user, resp.StatusCode, b)
	return nil
}

// probe calls a route with token and an empty JSON object as its body; it
// reads the body only of an error answer (an event stream never ends).
func probe(t *testing.T, srv *httptest.Server, method, path, token string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

// pin pins a new node of participant code, as the administrator ada.
func (a *staffAPI) pin(t *testing.T, participant string) {
	t.Helper()
	other, _ := newTestAPI(t, participant)
	_, card := call(t, other, "GET", "/api/card", testToken, nil)
	if code, body := call(t, a.srv, "POST", "/api/partners", a.tokens[staff.Administrator], card); code != http.StatusOK {
		t.Fatalf("pin %s: %d %s", participant, code, body)
	}
}
