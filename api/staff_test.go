package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
)

// sameSite are the headers the dashboard's own script sends.
func sameSite(srv string, c *http.Cookie) map[string]any {
	return map[string]any{"c": c, "Origin": srv, "Sec-Fetch-Site": "same-origin"}
}

// TestPasswordSignin: a user signs in with a name and password and gets
// an HttpOnly, SameSite=Strict session acting as that user in that role;
// a wrong password or an unknown name is refused alike.
func TestPasswordSignin(t *testing.T) {
	a := newStaffAPI(t, "IN")
	for _, bad := range []SigninRequest{{User: "vera", Password: "wrong password!"}, {User: "nobody", Password: staffPassword}, {User: "vera"}, {Password: staffPassword}} {
		body, _ := json.Marshal(bad)
		resp, b := send(t, a.srv, "POST", "/signin", body, nil)
		if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 || !strings.Contains(string(b), "wrong user name or password") {
			t.Errorf("sign in as %+v: %d %s", bad, resp.StatusCode, b)
		}
	}
	c := passwordSignIn(t, a.srv, "carl", staffPassword)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure without TLS", c)
	}
	resp, b := send(t, a.srv, "GET", "/api/whoami", nil, map[string]any{"c": c})
	var who Whoami
	if json.Unmarshal(b, &who) != nil || resp.StatusCode != 200 || who.Actor != "carl" || who.Role != staff.Clerk || !who.Session {
		t.Fatalf("whoami: %d %s", resp.StatusCode, b)
	}
	form := "user=vera&password=" + strings.ReplaceAll(staffPassword, " ", "+")
	resp, _ = send(t, a.srv, "POST", "/signin", []byte(form), map[string]any{"Content-Type": "application/x-www-form-urlencoded"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 {
		t.Errorf("form sign-in: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestSigninThrottled: after signinFreeTries failures for a name, even
// the right password waits, with 429; other names are not held back.
func TestSigninThrottled(t *testing.T) {
	a := newStaffAPI(t, "IN")
	wrong, _ := json.Marshal(SigninRequest{User: "vera", Password: "not her password"})
	for i := range signinFreeTries {
		if resp, b := send(t, a.srv, "POST", "/signin", wrong, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, resp.StatusCode, b)
		}
	}
	right, _ := json.Marshal(SigninRequest{User: "vera", Password: staffPassword})
	resp, b := send(t, a.srv, "POST", "/signin", right, nil)
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, b) != "too_many_signins" || resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
		t.Fatalf("right password after %d failures: %d %s", signinFreeTries, resp.StatusCode, b)
	}
	th := newSigninThrottle(time.Now)
	clk := time.Now()
	th.now = func() time.Time { return clk }
	for range signinFreeTries {
		th.failed("user:x")
	}
	if w := th.wait("user:x"); w != signinLockBase {
		t.Errorf("wait after %d failures = %s, want %s", signinFreeTries, w, signinLockBase)
	}
	if w := th.wait("user:y"); w != 0 {
		t.Errorf("another name waits %s", w)
	}
	clk = clk.Add(signinLockBase)
	if w := th.wait("user:x"); w != 0 {
		t.Errorf("still waits %s after the lock", w)
	}
	th.failed("user:x")
	if w := th.wait("user:x"); w != 2*signinLockBase {
		t.Errorf("the next lock is %s, want it doubled", w)
	}
}

// TestSessionsEndWithTheAccount: a user's sessions and event streams end
// at once when the password or role changes or the user is removed.
func TestSessionsEndWithTheAccount(t *testing.T) {
	a := newStaffAPI(t, "IN")
	admin := a.tokens[staff.Administrator]
	for _, change := range []struct {
		what   string
		method string
		path   string
		body   string
	}{
		{"password", "PUT", "/api/users/vera/password", `{"password": "` + staffPassword + `"}`},
		{"role", "PUT", "/api/users/vera/role", `{"role": "viewer"}`},
		{"removal", "DELETE", "/api/users/vera", ``},
	} {
		c := passwordSignIn(t, a.srv, "vera", staffPassword)
		stream := openStream(t, a.srv, c)
		if code, body := call(t, a.srv, change.method, change.path, admin, []byte(change.body)); code >= 300 {
			t.Fatalf("%s: %d %s", change.what, code, body)
		}
		waitStreamEnd(t, stream)
		if resp, b := send(t, a.srv, "GET", "/api/status", nil, map[string]any{"c": c}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("session after the %s: %d %s", change.what, resp.StatusCode, b)
		}
	}
	// a session ended behind the API's back (the directory changed
	// directly) is refused at its next request too
	a.dir.AddUser("node", "vera", staff.Viewer, crypto.Secret(staffPassword))
	c := passwordSignIn(t, a.srv, "vera", staffPassword)
	a.dir.SetPassword("node", "vera", crypto.Secret("yet another password"))
	if resp, _ := send(t, a.srv, "GET", "/api/status", nil, map[string]any{"c": c}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session after a direct password change: %d", resp.StatusCode)
	}
}

// TestStaffTokensAPI: an administrator creates a token, whose secret is
// shown once and never listed; it works at once and is refused at once
// after revocation; a service token acts as token:NAME.
func TestStaffTokensAPI(t *testing.T) {
	a := newStaffAPI(t, "IN")
	admin := a.tokens[staff.Administrator]
	code, body := call(t, a.srv, "POST", "/api/tokens", admin, []byte(`{"name": "exporter", "role": "viewer", "ttl": "24h"}`))
	var ct CreatedToken
	if code != http.StatusCreated || json.Unmarshal(body, &ct) != nil || !strings.HasPrefix(ct.Secret, "kpt_") || ct.Hash != "" {
		t.Fatalf("create: %d %s", code, body)
	}
	if d := ct.Expires.Sub(ct.Created); d != 24*time.Hour {
		t.Errorf("lifetime %s", d)
	}
	code, body = call(t, a.srv, "GET", "/api/whoami", ct.Secret, nil)
	if code != 200 || !strings.Contains(string(body), `"actor": "token:exporter"`) || !strings.Contains(string(body), `"role": "viewer"`) {
		t.Fatalf("whoami with the new token: %d %s", code, body)
	}
	_, list := call(t, a.srv, "GET", "/api/tokens", admin, nil)
	if strings.Contains(string(list), ct.Secret) || strings.Contains(string(list), `"hash"`) || !strings.Contains(string(list), "exporter") {
		t.Fatalf("list shows secrets or misses the token: %s", list)
	}
	if code, body := call(t, a.srv, "DELETE", "/api/tokens/exporter", admin, nil); code != 200 {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", ct.Secret, nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", code)
	}
	for _, bad := range []string{`{"name": "x", "role": "root"}`, `{"name": "x"}`, `{"name": "x", "role": "viewer", "ttl": "-1h"}`, `{"name": "x", "role": "viewer", "ttl": "9000h"}`} {
		if code, body := call(t, a.srv, "POST", "/api/tokens", admin, []byte(bad)); code != http.StatusBadRequest {
			t.Errorf("create %s: %d %s", bad, code, body)
		}
	}
}

// TestNodeTokenFollowsItsFile: api.token rewritten by hand while the node
// runs is the only node token accepted from the next request; kpnode
// token rotate (POST /api/token/rotate) replaces it the same way.
func TestNodeTokenFollowsItsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.token")
	if err := crypto.WriteSecretFile(path, crypto.Secret("first-token-0123456789")); err != nil {
		t.Fatal(err)
	}
	a := newStaffAPI(t, "IN", WithTokenFile(path))
	if code, _ := call(t, a.srv, "GET", "/api/status", "first-token-0123456789", nil); code != 200 {
		t.Fatalf("file token: %d", code)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", testToken, nil); code != http.StatusUnauthorized {
		t.Fatalf("the token given to NewHandler still works beside the file's: %d", code)
	}
	if err := os.WriteFile(path, []byte("second-token-0123456789\n"), 0o600); err != nil { // in place, as an editor
		t.Fatal(err)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", "first-token-0123456789", nil); code != http.StatusUnauthorized {
		t.Errorf("old token after a rewrite: %d", code)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", "second-token-0123456789", nil); code != 200 {
		t.Errorf("new token after a rewrite: %d", code)
	}
	if code, body := call(t, a.srv, "POST", "/api/token/rotate", a.tokens[staff.Clerk], nil); code != http.StatusForbidden {
		t.Errorf("a clerk rotates the node token: %d %s", code, body)
	}
	if code, body := call(t, a.srv, "POST", "/api/token/rotate", "second-token-0123456789", nil); code != http.StatusNoContent {
		t.Fatalf("rotate: %d %s", code, body)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", "second-token-0123456789", nil); code != http.StatusUnauthorized {
		t.Errorf("old token after rotate: %d", code)
	}
	now, err := crypto.ReadSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, a.srv, "GET", "/api/status", string(now.Reveal()), nil); code != 200 {
		t.Errorf("rotated token: %d", code)
	}
	os.Remove(path)
	if code, _ := call(t, a.srv, "GET", "/api/status", string(now.Reveal()), nil); code != http.StatusUnauthorized {
		t.Errorf("token of a removed file: %d", code)
	}
	log, _ := a.n.AuditLog(1)
	if log[0].Action != "token.rotate" || log[0].Actor != "node" {
		t.Errorf("newest audit record %+v", log[0])
	}
}

// TestAuditNamesActors: what each caller does is audited under its name:
// a user by token or session, a service token, the node's own token.
func TestAuditNamesActors(t *testing.T) {
	a := newStaffAPI(t, "IN")
	a.pin(t, "BE") // by ada's token
	admin := a.tokens[staff.Administrator]
	svc, _, _ := a.dir.CreateToken("node", staff.TokenRequest{Name: "ops", Role: staff.Administrator})
	c := passwordSignIn(t, a.srv, "carl", staffPassword)
	notice, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: json.RawMessage(noticeBy(t, "IN", "Carl's notice"))})
	if resp, b := send(t, a.srv, "POST", "/api/records/notice", notice, sameSite(a.srv.URL, c)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("carl publishes: %d %s", resp.StatusCode, b)
	}
	certs, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ token, method, path, body string }{
		{a.tokens[staff.Clerk], "POST", "/api/imports/certificates?to=BE&allow_non_party=true&file=certificates.csv", string(certs)},
		{admin, "POST", "/api/backup?file=b.kpbackup", ""},
		{svc, "POST", "/api/partners/BE/pause", ""},
		{testToken, "POST", "/api/partners/BE/resume", ""},
		{admin, "POST", "/api/users", `{"name": "dora", "role": "viewer", "password": "` + staffPassword + `"}`},
		{a.tokens[staff.Viewer], "GET", "/api/exports/certificates?file=out.csv", ""},
	}
	for _, s := range steps {
		if code, body := call(t, a.srv, s.method, s.path, s.token, []byte(s.body)); code >= 300 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, code, body)
		}
	}
	recs, err := a.n.AuditLog(100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs { // newest first: the newest of each action
		if _, ok := got[r.Action]; !ok {
			got[r.Action] = r.Actor
		}
	}
	want := map[string]string{"partner.add": "ada", "session.start": "carl", "partner.pause": "token:ops",
		"partner.resume": "node", "staff.user.add": "ada", "export": "vera", "import": "carl", "audience.non_party": "carl", "store.backup": "ada"}
	for action, actor := range want {
		if got[action] != actor {
			t.Errorf("%s by %q, want %q (log %v)", action, got[action], actor, got)
		}
	}
	code, body := call(t, a.srv, "GET", "/api/audit?limit=100", a.tokens[staff.Viewer], nil)
	var listed []store.AuditRecord
	if json.Unmarshal(body, &listed) != nil || code != 200 || len(listed) != len(recs) {
		t.Fatalf("GET /api/audit: %d %s", code, body)
	}
	for _, r := range listed {
		if r.Actor == "" {
			t.Errorf("record %d (%s) names no actor", r.Seq, r.Action)
		}
	}
}

// TestSigninCookieSecureUnderTLS: served over TLS, the session cookie is
// Secure as well as HttpOnly and SameSite=Strict.
func TestSigninCookieSecureUnderTLS(t *testing.T) {
	a := newStaffAPI(t, "IN")
	srv := httptest.NewTLSServer(a.h)
	t.Cleanup(srv.Close)
	body, _ := json.Marshal(SigninRequest{User: "vera", Password: staffPassword})
	resp, err := srv.Client().Post(srv.URL+"/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cs := resp.Cookies()
	if resp.StatusCode != http.StatusOK || len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in over TLS: %d %+v", resp.StatusCode, cs)
	}
}
