package api

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/staff"
)

// Sign-in links: a client holding the token (kpnode dashboard) asks for a
// one-time code, and a browser trades the code once for a dashboard
// session (session.go): an HttpOnly cookie, never the API token.
const (
	// SigninCodeTTL is how long a one-time sign-in code stays valid.
	SigninCodeTTL = 5 * time.Minute
	// MaxSigninCodes bounds the codes outstanding at once; minting one more
	// drops the one that expires first.
	MaxSigninCodes = 16
	// maxSigninBody caps the body of POST /signin.
	maxSigninBody = 1 << 10
	// signinFailedPath is where a refused form sign-in sends the browser:
	// the dashboard says why.
	signinFailedPath = "/#signin-failed"
)

// SigninLink is the answer of POST /api/signin-links. URL carries the code
// in its fragment (for a person to open); Code and SigninURL let a client
// post the code itself (kpnode dashboard --open).
type SigninLink struct {
	URL       string    `json:"url"`
	Code      string    `json:"code"`
	SigninURL string    `json:"signin_url"`
	Expires   time.Time `json:"expires"`
}

// SigninRequest is the body of POST /signin (JSON, or the form fields of
// the same names): a one-time code, or a user's name and password.
type SigninRequest struct {
	Code     string `json:"code,omitempty"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
}

var (
	errBadSigninCode = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "this sign-in link is wrong, was already used or has expired: ask your administrator for a new one"}
	errBadPassword = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "wrong user name or password"}
)

// errSigninThrottled answers a sign-in tried too soon after failures.
func errSigninThrottled(wait time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "too_many_signins",
		Message: fmt.Sprintf("too many failed sign-ins: try again in %s", wait.Round(time.Second))}
}

// signinCodes holds the outstanding one-time sign-in codes. It is safe for
// concurrent use.
type signinCodes struct {
	now   func() time.Time
	mu    sync.Mutex           // guards codes
	codes map[string]time.Time // code → expiry
}

func newSigninCodes(now func() time.Time) *signinCodes {
	return &signinCodes{now: now, codes: map[string]time.Time{}}
}

// mint returns a new random code and when it expires.
func (s *signinCodes) mint() (string, time.Time) {
	code := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.dropExpired(now)
	for len(s.codes) >= MaxSigninCodes {
		s.dropFirstExpiring()
	}
	exp := now.Add(SigninCodeTTL)
	s.codes[code] = exp
	return code, exp
}

// consume reports whether code is outstanding and unexpired, and if so
// removes it. A wrong code changes nothing.
func (s *signinCodes) consume(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for c, exp := range s.codes {
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 {
			if !now.Before(exp) {
				return false
			}
			delete(s.codes, c)
			return true
		}
	}
	return false
}

// outstanding counts the codes held, expired or not.
func (s *signinCodes) outstanding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.codes)
}

func (s *signinCodes) dropExpired(now time.Time) {
	for c, exp := range s.codes {
		if !now.Before(exp) {
			delete(s.codes, c)
		}
	}
}

func (s *signinCodes) dropFirstExpiring() {
	first := ""
	for c, exp := range s.codes {
		if first == "" || exp.Before(s.codes[first]) {
			first = c
		}
	}
	delete(s.codes, first)
}

// signinLink serves POST /api/signin-links (token only): a one-time link
// to the dashboard on the host the client reached.
func (h *Handler) signinLink(w http.ResponseWriter, r *http.Request) error {
	code, exp := h.codes.mint()
	base := "http://" + r.Host
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, SigninLink{URL: base + "/#signin=" + code, Code: code,
		SigninURL: base + "/signin", Expires: exp.UTC()})
}

// signin serves POST /signin, without a token: it trades a one-time code,
// or a user's name and password, for a session cookie. A JSON request (the
// dashboard's own script) gets the session's listing; a form post is
// redirected to the dashboard.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSigninBody)
	req, form, err := readSignin(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	who, err := h.signinPrincipal(r, req)
	if err != nil {
		h.log.Info("dashboard sign-in refused", "user", req.User, "remote", r.RemoteAddr)
		if ae, ok := err.(*Error); ok && ae.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		if form {
			http.Redirect(w, r, signinFailedPath, http.StatusSeeOther)
			return
		}
		h.fail(w, r, err)
		return
	}
	secret, s := h.sessions.create(who, r.RemoteAddr, r.UserAgent())
	if err := h.b.AuditSession(node.AuditSessionStart, node.SessionAudit{ID: s.ID, Remote: s.Remote, Agent: s.Agent, Actor: who.Actor}); err != nil {
		h.sessions.revoke(s.ID) // no session the audit log does not know
		h.fail(w, r, err)
		return
	}
	h.log.Info("dashboard signed in", "actor", who.Actor, "session", s.ID, "remote", r.RemoteAddr)
	http.SetCookie(w, sessionCookieFor(secret, r.TLS != nil))
	if form {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// signinPrincipal checks a sign-in's code or password: a code acts as the
// node (whoever minted it held the node's token), a password as its user.
// Failed passwords are throttled per user name and client address.
func (h *Handler) signinPrincipal(r *http.Request, req SigninRequest) (staff.Principal, error) {
	if req.Code != "" {
		if req.User != "" || req.Password != "" {
			return staff.Principal{}, badRequest("sign-in: give a code, or a user and password, not both")
		}
		if !h.codes.consume(req.Code) {
			return staff.Principal{}, errBadSigninCode
		}
		return nodePrincipal, nil
	}
	if req.User == "" || req.Password == "" || h.staff == nil {
		return staff.Principal{}, errBadPassword
	}
	keys := []string{"user:" + req.User, "addr:" + remoteHost(r)}
	if wait := h.throttle.wait(keys...); wait > 0 {
		return staff.Principal{}, errSigninThrottled(wait)
	}
	p, err := h.staff.Authenticate(req.User, crypto.Secret(req.Password))
	if err != nil {
		h.throttle.failed(keys...)
		return staff.Principal{}, errBadPassword
	}
	h.throttle.succeeded(keys...)
	return p, nil
}

// remoteHost is the client's address without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readSignin reads the body of POST /signin from a JSON body or a form,
// and says which it was.
func readSignin(r *http.Request) (req SigninRequest, form bool, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return req, true, badRequest("sign-in form: " + err.Error())
		}
		return SigninRequest{Code: strings.TrimSpace(r.PostForm.Get("code")), User: strings.TrimSpace(r.PostForm.Get("user")),
			Password: r.PostForm.Get("password")}, true, nil
	}
	if err := decodeBody(r, &req, `{"code": "..."} or {"user": "...", "password": "..."}`); err != nil {
		return req, false, err
	}
	req.Code, req.User = strings.TrimSpace(req.Code), strings.TrimSpace(req.User)
	return req, false, nil
}

// signout serves POST /signout: the browser's session ends and its cookie
// is cleared.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) error {
	se := requestSession(r)
	if se == nil {
		return badRequest("sign-out ends a dashboard session; this request was made with an API token")
	}
	h.endSession(se.id, "signout")
	http.SetCookie(w, clearedSessionCookie(r.TLS != nil))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listSessions serves GET /api/sessions (token only).
func (h *Handler) listSessions(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, h.sessions.list())
}

// revokeSession serves DELETE /api/sessions/{id} (token only).
func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if !h.endSession(r.PathValue("id"), "revoke") {
		return &Error{Status: http.StatusNotFound, Code: "unknown_session",
			Message: "no live dashboard session " + r.PathValue("id") + " (see kpnode dashboard sessions)"}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// endSession ends a session and records it in the audit log. The session
// ends even when the audit log fails: ending access is never held back.
func (h *Handler) endSession(id, by string) bool {
	s, ok := h.sessions.revoke(id)
	if !ok {
		return false
	}
	h.log.Info("dashboard session ended", "session", id, "by", by)
	if err := h.b.AuditSession(node.AuditSessionEnd, sessionAudit(s, by)); err != nil {
		h.log.Error("audit log: session end not recorded", "session", id, "err", err)
	}
	return true
}
