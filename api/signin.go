package api

import (
	"crypto/rand"
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kpnode/kpnode/node"
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

// SigninRequest is the body of POST /signin (JSON, or the form field
// "code").
type SigninRequest struct {
	Code string `json:"code"`
}

var errBadSigninCode = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
	Message: "this sign-in link is wrong, was already used or has expired: ask your administrator for a new one"}

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

// signin serves POST /signin, without a token: it trades a one-time code
// for a session cookie. A JSON request (the dashboard's own script) gets
// the session's listing; a form post (the page kpnode dashboard --open
// writes) is redirected to the dashboard.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSigninBody)
	code, form, err := signinCode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if code == "" || !h.codes.consume(code) {
		h.log.Info("dashboard sign-in refused", "remote", r.RemoteAddr)
		if form {
			http.Redirect(w, r, signinFailedPath, http.StatusSeeOther)
			return
		}
		writeError(w, errBadSigninCode)
		return
	}
	secret, s := h.sessions.create(r.RemoteAddr, r.UserAgent())
	if err := h.b.AuditSession(node.AuditSessionStart, node.SessionAudit{ID: s.ID, Remote: s.Remote, Agent: s.Agent}); err != nil {
		h.sessions.revoke(s.ID) // no session the audit log does not know
		h.fail(w, r, err)
		return
	}
	h.log.Info("dashboard signed in with a one-time code", "session", s.ID, "remote", r.RemoteAddr)
	http.SetCookie(w, sessionCookieFor(secret, r.TLS != nil))
	if form {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// signinCode reads the code of POST /signin from a JSON body or a form,
// and says which it was.
func signinCode(r *http.Request) (code string, form bool, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return "", true, badRequest("sign-in form: " + err.Error())
		}
		return strings.TrimSpace(r.PostForm.Get("code")), true, nil
	}
	var req SigninRequest
	if err := decodeBody(r, &req, `{"code": "..."}`); err != nil {
		return "", false, err
	}
	return strings.TrimSpace(req.Code), false, nil
}

// signout serves POST /signout: the browser's session ends and its cookie
// is cleared.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) error {
	se := requestSession(r)
	if se == nil {
		return badRequest("sign-out ends a dashboard session; this request was made with the API token")
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
	if err := h.b.AuditSession(node.AuditSessionEnd, node.SessionAudit{ID: s.ID, Remote: s.Remote, Agent: s.Agent, By: by}); err != nil {
		h.log.Error("audit log: session end not recorded", "session", id, "err", err)
	}
	return true
}
