package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
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

// TestSigninOverHTTP: a link minted with the token signs in once; the
// code is useless afterwards and wrong codes get 401.
func TestSigninOverHTTP(t *testing.T) {
	srv := httptest.NewServer(NewHandler(nil, crypto.Secret(testToken), nil))
	t.Cleanup(srv.Close)
	if code, _ := call(t, srv, "POST", "/api/signin-links", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("link without token: %d, want 401", code)
	}
	code, body := call(t, srv, "POST", "/api/signin-links", testToken, nil)
	var link SigninLink
	if err := json.Unmarshal(body, &link); err != nil || code != http.StatusCreated {
		t.Fatalf("mint: %d %s", code, body)
	}
	u, err := url.Parse(link.URL)
	if err != nil || "http://"+u.Host != srv.URL || u.Path != "/" || !strings.HasPrefix(u.Fragment, "signin=") {
		t.Fatalf("link %q is not a dashboard link on %s", link.URL, srv.URL)
	}
	if d := time.Until(link.Expires); d < 4*time.Minute || d > 5*time.Minute {
		t.Fatalf("link expires in %v, want 5 minutes", d)
	}
	signinBody := `{"code": "` + strings.TrimPrefix(u.Fragment, "signin=") + `"}`
	code, body = call(t, srv, "POST", "/signin", "", []byte(signinBody))
	var ans SigninAnswer
	if err := json.Unmarshal(body, &ans); err != nil || code != http.StatusOK || ans.Token != testToken {
		t.Fatalf("sign in: %d %s", code, body)
	}
	for _, b := range []string{signinBody, `{"code": "nope"}`, `{}`} {
		if code, body := call(t, srv, "POST", "/signin", "", []byte(b)); code != http.StatusUnauthorized || errorCode(t, body) != "unauthorized" {
			t.Errorf("sign in with %s: %d %s, want 401 unauthorized", b, code, body)
		}
	}
	if code, body := call(t, srv, "POST", "/signin", "", []byte(`{"code":`)); code != http.StatusBadRequest {
		t.Errorf("malformed body: %d %s, want 400", code, body)
	}
}
