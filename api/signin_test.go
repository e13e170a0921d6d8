package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable clock for the sign-in codes.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestSigninCodeWorksOnce(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	s := newSigninCodes(clk.now)
	code, exp := s.mint()
	if len(code) < 20 || !exp.Equal(clk.t.Add(SigninCodeTTL)) {
		t.Fatalf("minted %q expiring %v", code, exp)
	}
	if !s.consume(code) {
		t.Fatal("a fresh code was refused")
	}
	if s.consume(code) {
		t.Fatal("a code worked twice")
	}
}

func TestSigninWrongCodeChangesNothing(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	s := newSigninCodes(clk.now)
	code, _ := s.mint()
	for _, wrong := range []string{"", "x", code + "x", strings.ToLower(code), code[:len(code)-1]} {
		if s.consume(wrong) {
			t.Fatalf("wrong code %q accepted", wrong)
		}
	}
	if s.outstanding() != 1 || !s.consume(code) {
		t.Fatal("wrong codes disturbed the right one")
	}
}

func TestSigninCodeExpires(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	s := newSigninCodes(clk.now)
	code, _ := s.mint()
	clk.t = clk.t.Add(SigninCodeTTL - time.Second)
	late, _ := s.mint()
	clk.t = clk.t.Add(time.Second)
	if s.consume(code) {
		t.Fatal("an expired code was accepted")
	}
	if !s.consume(late) {
		t.Fatal("a code within its five minutes was refused")
	}
	s.mint() // drops the expired one
	if n := s.outstanding(); n != 1 {
		t.Fatalf("%d codes outstanding, want 1 (expired ones dropped)", n)
	}
}

func TestSigninCodesBounded(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	s := newSigninCodes(clk.now)
	first, _ := s.mint()
	var last string
	for range MaxSigninCodes {
		clk.t = clk.t.Add(time.Second)
		last, _ = s.mint()
	}
	if n := s.outstanding(); n != MaxSigninCodes {
		t.Fatalf("%d codes outstanding, want at most %d", n, MaxSigninCodes)
	}
	if s.consume(first) {
		t.Fatal("the oldest code survived past the bound")
	}
	if !s.consume(last) {
		t.Fatal("the newest code was dropped")
	}
}

// signIn mints a one-time code with the token and trades it at /signin;
// it returns the answer and the session cookie.
func signIn(t *testing.T, srv *httptest.Server) (*http.Response, []byte, *http.Cookie) {
	t.Helper()
	var link SigninLink
	apiJSON(t, srv, "POST", "/api/signin-links", nil, &link)
	resp, body := send(t, srv, "POST", "/signin", []byte(`{"code": "`+link.Code+`"}`), nil)
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return resp, body, c
		}
	}
	t.Fatalf("sign in: %d %s: no session cookie", resp.StatusCode, body)
	return nil, nil, nil
}

// send sends a request without the token, with the given headers (a
// *http.Cookie value adds a cookie), and does not follow redirects.
func send(t *testing.T, srv *httptest.Server, method, path string, body []byte, headers map[string]any) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	for k, v := range headers {
		switch v := v.(type) {
		case *http.Cookie:
			req.AddCookie(v)
		case string:
			req.Header.Set(k, v)
		}
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestSigninYieldsSessionNotToken: trading a one-time code gives an
// HttpOnly, SameSite=Strict session cookie and never the API token; the
// code works once; the session reads the API.
func TestSigninYieldsSessionNotToken(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	if code, _ := call(t, srv, "POST", "/api/signin-links", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("link without token: %d, want 401", code)
	}
	var link SigninLink
	apiJSON(t, srv, "POST", "/api/signin-links", nil, &link)
	u, err := url.Parse(link.URL)
	if err != nil || "http://"+u.Host != srv.URL || u.Path != "/" || u.Fragment != "signin="+link.Code || link.SigninURL != srv.URL+"/signin" {
		t.Fatalf("link %+v is not a dashboard link on %s", link, srv.URL)
	}
	if d := time.Until(link.Expires); d < 4*time.Minute || d > 5*time.Minute {
		t.Fatalf("link expires in %v, want 5 minutes", d)
	}
	body := []byte(`{"code": "` + link.Code + `"}`)
	resp, ans := send(t, srv, "POST", "/signin", body, nil)
	if resp.StatusCode != http.StatusOK || bytes.Contains(ans, []byte(testToken)) || strings.Contains(resp.Header.Get("Set-Cookie"), testToken) {
		t.Fatalf("sign in: %d %s %v (the token must not be in the answer)", resp.StatusCode, ans, resp.Header)
	}
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Value == "" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	if r, b := send(t, srv, "GET", "/api/status", nil, map[string]any{"c": c}); r.StatusCode != http.StatusOK {
		t.Fatalf("status with the session: %d %s", r.StatusCode, b)
	}
	for _, b := range []string{string(body), `{"code": "nope"}`, `{}`} {
		if r, ans := send(t, srv, "POST", "/signin", []byte(b), nil); r.StatusCode != http.StatusUnauthorized || errorCode(t, ans) != "unauthorized" || len(r.Cookies()) != 0 {
			t.Errorf("sign in with %s: %d %s, want 401 unauthorized and no cookie", b, r.StatusCode, ans)
		}
	}
	if r, ans := send(t, srv, "POST", "/signin", []byte(`{"code":`), nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed body: %d %s, want 400", r.StatusCode, ans)
	}
}

// TestSigninForm: the form post that kpnode dashboard --open makes gets
// the cookie and a redirect to the dashboard; a used code a redirect to
// the refusal.
func TestSigninForm(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	var link SigninLink
	apiJSON(t, srv, "POST", "/api/signin-links", nil, &link)
	form := map[string]any{"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"}
	resp, _ := send(t, srv, "POST", "/signin", []byte("code="+link.Code), form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 {
		t.Fatalf("form sign in: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	resp, _ = send(t, srv, "POST", "/signin", []byte("code="+link.Code), form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signinFailedPath || len(resp.Cookies()) != 0 {
		t.Fatalf("used code: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
}

// TestSessionCannotReachTokenRoutes: a session can neither mint sign-in
// codes (and so outlive its own expiry) nor list or revoke sessions.
func TestSessionCannotReachTokenRoutes(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	_, _, c := signIn(t, srv)
	same := map[string]any{"c": c, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/signin-links"}, {"GET", "/api/sessions"}, {"DELETE", "/api/sessions/x"},
	} {
		if resp, b := send(t, srv, r.method, r.path, nil, same); resp.StatusCode != http.StatusForbidden || errorCode(t, b) != "token_required" {
			t.Errorf("%s %s with a session: %d %s, want 403 token_required", r.method, r.path, resp.StatusCode, b)
		}
	}
}

// TestSessionCSRF: a state-changing request with the session cookie needs
// the dashboard's own Origin; reads do not.
func TestSessionCSRF(t *testing.T) {
	srv, _ := newTestAPI(t, "IN")
	_, _, c := signIn(t, srv)
	ack := []byte(`{"id": "none", "note": "x"}`)
	for name, h := range map[string]map[string]any{
		"no Origin":           {"c": c},
		"foreign Origin":      {"c": c, "Origin": "http://evil.example"},
		"other port":          {"c": c, "Origin": "http://127.0.0.1:1"},
		"null Origin":         {"c": c, "Origin": "null"},
		"cross-site fetch":    {"c": c, "Origin": srv.URL, "Sec-Fetch-Site": "cross-site"},
		"same-site fetch":     {"c": c, "Origin": srv.URL, "Sec-Fetch-Site": "same-site"},
		"sign out, no Origin": {"c": c, "path": "/signout"},
	} {
		path := "/api/findings/ack"
		if p, ok := h["path"].(string); ok {
			path = p
			delete(h, "path")
		}
		if resp, b := send(t, srv, "POST", path, ack, h); resp.StatusCode != http.StatusForbidden || errorCode(t, b) != "cross_site" {
			t.Errorf("%s: %d %s, want 403 cross_site", name, resp.StatusCode, b)
		}
	}
	same := map[string]any{"c": c, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	if resp, b := send(t, srv, "POST", "/api/findings/ack", ack, same); resp.StatusCode != http.StatusNotFound {
		t.Errorf("same origin: %d %s, want the route's own answer (404 unknown finding)", resp.StatusCode, b)
	}
	if resp, b := send(t, srv, "GET", "/api/status", nil, map[string]any{"c": c, "Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusOK {
		t.Errorf("a read: %d %s", resp.StatusCode, b)
	}
}

// TestSessionListRevokeAudit: the token lists and revokes sessions; a
// revoked session is refused and its open event stream ends; sign-in, sign
// out and revocation are in the audit log.
func TestSessionListRevokeAudit(t *testing.T) {
	srv, n := newTestAPI(t, "IN")
	_, first, c := signIn(t, srv)
	_, _, c2 := signIn(t, srv)
	var mine Session
	if err := json.Unmarshal(first, &mine); err != nil || mine.ID == "" {
		t.Fatalf("sign-in answer %s", first)
	}
	var list []Session
	apiJSON(t, srv, "GET", "/api/sessions", nil, &list)
	if len(list) != 2 || list[0].ID != mine.ID {
		t.Fatalf("sessions %+v, want 2, first %s", list, mine.ID)
	}
	stream := openStream(t, srv, c)
	if code, b := call(t, srv, "DELETE", "/api/sessions/"+mine.ID, testToken, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if code, _ := call(t, srv, "DELETE", "/api/sessions/"+mine.ID, testToken, nil); code != http.StatusNotFound {
		t.Fatalf("revoke twice: %d, want 404", code)
	}
	if resp, _ := send(t, srv, "GET", "/api/status", nil, map[string]any{"c": c}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked session: %d, want 401", resp.StatusCode)
	}
	waitStreamEnd(t, stream)
	resp, _ := send(t, srv, "POST", "/signout", nil, map[string]any{"c": c2, "Origin": srv.URL})
	if resp.StatusCode != http.StatusNoContent || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("sign out: %d cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ := send(t, srv, "GET", "/api/status", nil, map[string]any{"c": c2}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a signed-out session: %d, want 401", resp.StatusCode)
	}
	recs, err := n.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
		if strings.Contains(string(r.Details), c.Value) || strings.Contains(string(r.Details), c2.Value) {
			t.Fatalf("the audit log holds a session secret: %s", r.Details)
		}
	}
	if got := strings.Join(actions, " "); got != "session.end session.end session.start session.start" {
		t.Fatalf("audit actions (newest first) %q", got)
	}
}

// openStream opens the event stream with a session cookie.
func openStream(t *testing.T, srv *httptest.Server, c *http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/events", nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events with a session: %d", resp.StatusCode)
	}
	return resp
}

// waitStreamEnd reads the stream until the server ends it, within 10 s.
func waitStreamEnd(t *testing.T, resp *http.Response) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream outlived its session")
	}
}

// TestEmptyTokenNeverMatches: a handler without a token (a misconfigured
// caller) refuses "Bearer " with nothing after it.
func TestEmptyTokenNeverMatches(t *testing.T) {
	h, err := NewHandler(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/sessions", nil)
	req.Host = "127.0.0.1"
	req.Header.Set("Authorization", "Bearer ")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("an empty bearer token with no token configured: %d, want 401", w.Code)
	}
}

// TestSessionsEndWithTheHandler: sessions live in the handler's memory,
// so the handler of a restarted daemon (or of the node restarted after a
// key rotation) refuses the cookies of the one before (docs/dashboard.md).
func TestSessionsEndWithTheHandler(t *testing.T) {
	srv, n := newTestAPI(t, "IN")
	_, _, c := signIn(t, srv)
	restarted := httptest.NewServer(mustHandler(t, n))
	t.Cleanup(restarted.Close)
	if resp, _ := send(t, srv, "GET", "/api/status", nil, map[string]any{"c": c}); resp.StatusCode != http.StatusOK {
		t.Fatalf("the session before the restart: %d", resp.StatusCode)
	}
	if resp, _ := send(t, restarted, "GET", "/api/status", nil, map[string]any{"c": c}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the session after the restart: %d, want 401", resp.StatusCode)
	}
}
