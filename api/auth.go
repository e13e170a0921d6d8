package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// Who may call a route: the CLI and scripts with the bearer token, a
// signed-in browser with its session cookie. A few routes (minting sign-in
// codes, managing sessions) take the token only, so that a browser session
// can neither extend itself past its absolute expiry nor hide others.
type access int

const (
	tokenOrSession access = iota
	tokenOnly
)

var (
	errTokenOnly = &Error{Status: http.StatusForbidden, Code: "token_required",
		Message: "this route needs the API token; a dashboard session cannot use it"}
	errCrossSite = &Error{Status: http.StatusForbidden, Code: "cross_site",
		Message: "refused a state-changing request from another site (Origin or Sec-Fetch-Site do not match this node)"}
)

// sessionKey is the context key of the session a request was authorised
// with.
type sessionKey struct{}

// authenticate checks a request's token or session cookie against what the
// route allows and returns the request with its session (if any) in its
// context. Every authorised request marks its connection with its trust
// (connlimit.go).
func (h *Handler) authenticate(r *http.Request, acc access) (*http.Request, error) {
	if h.tokenValid(r) {
		markTrusted(r.Context(), trustToken)
		return r, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errUnauthorized
	}
	se, ok := h.sessions.use(c.Value)
	if !ok {
		return nil, errUnauthorized
	}
	if acc == tokenOnly {
		return nil, errTokenOnly
	}
	if !safeMethod(r.Method) && !sameOrigin(r) {
		return nil, errCrossSite
	}
	markTrusted(r.Context(), trustSession)
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, se)), nil
}

func (h *Handler) tokenValid(r *http.Request) bool {
	want := h.token.Reveal()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && len(want) > 0 && subtle.ConstantTimeCompare([]byte(tok), want) == 1
}

// requestSession is the session a request was authorised with, or nil for
// the token.
func requestSession(r *http.Request) *session {
	se, _ := r.Context().Value(sessionKey{}).(*session)
	return se
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser sent the request from the
// dashboard's own origin: Sec-Fetch-Site, when sent, must say
// same-origin, and Origin must be present and name this host. (The Host
// itself was already checked against the node's names.) SameSite=Strict
// keeps the cookie off cross-site requests already; this is the second
// lock, and it also refuses a page on another port of the same host,
// which SameSite counts as the same site.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
		return false
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return r.Header.Get("Origin") == scheme+r.Host
}

// sessionCookieFor is the cookie that carries a new session's secret: not
// readable by scripts, sent only with same-site requests, over TLS only
// when the node serves TLS.
func sessionCookieFor(secret string, tls bool) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(SessionMaxAge / time.Second),
		HttpOnly: true, Secure: tls, SameSite: http.SameSiteStrictMode}
}

// clearedSessionCookie deletes the session cookie in the browser.
func clearedSessionCookie(tls bool) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: tls, SameSite: http.SameSiteStrictMode}
}
