package api

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"
)

// Sign-in links: an authenticated client (kpnode dashboard) asks for a
// one-time code, and a browser that opens the link trades the code for the
// API token once. The token itself never appears in a URL.
const (
	// SigninCodeTTL is how long a one-time sign-in code stays valid.
	SigninCodeTTL = 5 * time.Minute
	// MaxSigninCodes bounds the codes outstanding at once; minting one more
	// drops the one that expires first.
	MaxSigninCodes = 16
	// maxSigninBody caps the body of POST /signin.
	maxSigninBody = 1 << 10
)

// SigninLink is the answer of POST /api/signin-links.
type SigninLink struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// SigninRequest is the body of POST /signin.
type SigninRequest struct {
	Code string `json:"code"`
}

// SigninAnswer is the answer of POST /signin: the API token.
type SigninAnswer struct {
	Token string `json:"token"`
}

var errBadSigninCode = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
	Message: "this sign-in link is wrong, was already used or has expired; ask for a new one with: kpnode dashboard"}

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

// signinLink serves POST /api/signin-links: a one-time link to the
// dashboard on the host the client reached.
func (h *Handler) signinLink(codes *signinCodes) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		host := r.Host
		if host == "" {
			host = "127.0.0.1"
		}
		code, exp := codes.mint()
		w.Header().Set("Cache-Control", "no-store")
		return writeJSON(w, http.StatusCreated, SigninLink{URL: "http://" + host + "/#signin=" + code, Expires: exp.UTC()})
	}
}

// signin serves POST /signin, without a token: it trades a one-time code
// for the API token.
func (h *Handler) signin(codes *signinCodes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req SigninRequest
		r.Body = http.MaxBytesReader(w, r.Body, maxSigninBody)
		if err := decodeBody(r, &req, `{"code": "..."}`); err != nil {
			h.fail(w, r, err)
			return
		}
		if req.Code == "" || !codes.consume(req.Code) {
			h.log.Info("dashboard sign-in refused", "remote", r.RemoteAddr)
			writeError(w, errBadSigninCode)
			return
		}
		h.log.Info("dashboard signed in with a one-time link", "remote", r.RemoteAddr)
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, SigninAnswer{Token: string(h.token.Reveal())})
	}
}
