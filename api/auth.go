package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/staff"
)

// Who may call a route: every route names the role it needs (routes.go's
// table), and the caller proves who it is with a bearer token (the node's
// own, or a staff token) or a dashboard session cookie. A few routes
// (minting sign-in links, managing sessions) refuse sessions, so that a
// browser session can neither extend itself past its absolute expiry nor
// hide others.
type access int

const (
	tokenOrSession access = iota
	tokenOnly
)

// nodePrincipal is whoever holds the node's own token: the local CLI.
var nodePrincipal = staff.Principal{Actor: "node", Role: staff.Administrator}

var (
	errTokenOnly = &Error{Status: http.StatusForbidden, Code: "token_required",
		Message: "this route needs an API token; a dashboard session cannot use it"}
	errCrossSite = &Error{Status: http.StatusForbidden, Code: "cross_site",
		Message: "refused a state-changing request from another site (Origin or Sec-Fetch-Site do not match this node)"}
)

// roleRefused is the answer to a caller whose role is below need.
func roleRefused(p staff.Principal, need staff.Role) *Error {
	return &Error{Status: http.StatusForbidden, Code: "role_required",
		Message: fmt.Sprintf("this needs the %s role; %s has the %s role", need, p.Actor, p.Role)}
}

// callerKey is the context key of who a request acts as.
type callerKey struct{}

// caller is who a request acts as, and the session it came with (nil for
// a bearer token).
type caller struct {
	staff.Principal
	session *session
}

// authenticate identifies a request's caller, checks its role against
// need and what the route allows, and returns the request with its caller
// in its context. Every authorised request marks its connection with its
// trust (connlimit.go).
func (h *Handler) authenticate(r *http.Request, need staff.Role, acc access) (*http.Request, error) {
	p, se, err := h.identify(r)
	if err != nil {
		return nil, err
	}
	if se != nil {
		if acc == tokenOnly {
			return nil, errTokenOnly
		}
		if !safeMethod(r.Method) && !sameOrigin(r) {
			return nil, errCrossSite
		}
	}
	if !p.Role.Allows(need) {
		return nil, roleRefused(p, need)
	}
	if se != nil {
		markTrusted(r.Context(), trustSession)
	} else {
		markTrusted(r.Context(), trustToken)
	}
	ctx := node.WithActor(r.Context(), p.Actor) // the actor of what the node does for the request
	return r.WithContext(context.WithValue(ctx, callerKey{}, &caller{Principal: p, session: se})), nil
}

// identify finds who a request comes from: a bearer token, else a live
// session cookie whose account has not changed since it signed in.
func (h *Handler) identify(r *http.Request) (staff.Principal, *session, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if p, ok := h.tokenPrincipal(tok); ok {
			return p, nil, nil
		}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return staff.Principal{}, nil, errUnauthorized
	}
	se, ok := h.sessions.use(c.Value)
	if !ok {
		return staff.Principal{}, nil, errUnauthorized
	}
	p, ok := h.sessionPrincipal(se)
	if !ok {
		h.endSession(se.id, "account changed")
		return staff.Principal{}, nil, errUnauthorized
	}
	return p, se, nil
}

// tokenPrincipal is who a bearer token acts as: the node, or a staff
// token's user or service.
func (h *Handler) tokenPrincipal(tok string) (staff.Principal, bool) {
	if h.token.matches(tok) {
		return nodePrincipal, true
	}
	if h.staff == nil {
		return staff.Principal{}, false
	}
	p, err := h.staff.TokenAuth(tok)
	return p, err == nil
}

// sessionPrincipal is who a session acts as now: a user's present role,
// or false when the user was removed or changed password or role since
// signing in. A session from a one-time sign-in link acts as the node.
func (h *Handler) sessionPrincipal(se *session) (staff.Principal, bool) {
	p := se.who
	if p.User == "" {
		return p, true
	}
	if h.staff == nil {
		return staff.Principal{}, false
	}
	role, ok := h.staff.Current(p.User, p.Generation)
	p.Role = role
	return p, ok
}

// acting is the node's operations that take no context, done by the
// request's caller.
func (h *Handler) acting(r *http.Request) *node.Acting { return h.b.As(actorOf(r)) }

// requestCaller is who a request acts as (authenticate put it there).
func requestCaller(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	if c == nil {
		return &caller{Principal: staff.Principal{Actor: "anonymous"}}
	}
	return c
}

// actorOf names who made a request, for the audit log.
func actorOf(r *http.Request) string { return requestCaller(r).Actor }

// requestSession is the session a request was authorised with, or nil for
// a token.
func requestSession(r *http.Request) *session { return requestCaller(r).session }

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
