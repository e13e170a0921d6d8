package api

import (
	"net/http"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/staff"
)

// staffRoutes registers who-am-I, the staff accounts and tokens, and the
// rotation of the node's own token.
func (h *Handler) staffRoutes() {
	h.handle("GET /api/whoami", view, h.whoami)
	h.handle("GET /api/users", admin, h.listUsers)
	h.handle("POST /api/users", admin, h.addUser)
	h.handle("DELETE /api/users/{name}", admin, h.removeUser)
	h.handle("PUT /api/users/{name}/password", admin, h.setPassword)
	h.handle("PUT /api/users/{name}/role", admin, h.setRole)
	h.handle("GET /api/tokens", admin, h.listTokens)
	h.handle("POST /api/tokens", admin, h.createToken)
	h.handle("DELETE /api/tokens/{name}", admin, h.revokeToken)
	h.handle("POST /api/token/rotate", admin, h.rotateNodeToken)
}

// Whoami is the answer of GET /api/whoami: who the request acts as.
type Whoami struct {
	Actor   string     `json:"actor"`
	Role    staff.Role `json:"role"`
	User    string     `json:"user,omitempty"`
	Token   string     `json:"token,omitempty"`
	Session bool       `json:"session"` // signed in through the dashboard
}

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	c := requestCaller(r)
	return writeJSON(w, http.StatusOK, Whoami{Actor: c.Actor, Role: c.Role, User: c.User, Token: c.Token, Session: c.session != nil})
}

// UserRequest is the body of POST /api/users.
type UserRequest struct {
	Name     string     `json:"name"`
	Role     staff.Role `json:"role"`
	Password string     `json:"password"`
}

// PasswordRequest is the body of PUT /api/users/{name}/password.
type PasswordRequest struct {
	Password string `json:"password"`
}

// RoleRequest is the body of PUT /api/users/{name}/role.
type RoleRequest struct {
	Role staff.Role `json:"role"`
}

var errNoStaff = &Error{Status: http.StatusConflict, Code: "no_staff",
	Message: "this node serves no staff accounts (only its own token)"}

func (h *Handler) directory() (*staff.Directory, error) {
	if h.staff == nil {
		return nil, errNoStaff
	}
	return h.staff, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, _ *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d.Users())
}

func (h *Handler) addUser(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	var req UserRequest
	if err := decodeBody(r, &req, `{"name": "...", "role": "viewer|clerk|administrator", "password": "..."}`); err != nil {
		return err
	}
	u, err := d.AddUser(actorOf(r), req.Name, req.Role, crypto.Secret(req.Password))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := d.RemoveUser(actorOf(r), name); err != nil {
		return err
	}
	h.endUserSessions(name, "user removed")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	var req PasswordRequest
	if err := decodeBody(r, &req, `{"password": "..."}`); err != nil {
		return err
	}
	name := r.PathValue("name")
	u, err := d.SetPassword(actorOf(r), name, crypto.Secret(req.Password))
	if err != nil {
		return err
	}
	h.endUserSessions(name, "password changed")
	return writeJSON(w, http.StatusOK, u)
}

func (h *Handler) setRole(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	var req RoleRequest
	if err := decodeBody(r, &req, `{"role": "viewer|clerk|administrator"}`); err != nil {
		return err
	}
	name := r.PathValue("name")
	u, err := d.SetRole(actorOf(r), name, req.Role)
	if err != nil {
		return err
	}
	h.endUserSessions(name, "role changed")
	return writeJSON(w, http.StatusOK, u)
}

// endUserSessions ends a user's sessions at once, so their open event
// streams close too (identify would refuse their next request anyway).
func (h *Handler) endUserSessions(user, why string) {
	for _, s := range h.sessions.revokeUser(user) {
		h.log.Info("dashboard session ended", "session", s.ID, "user", user, "by", why)
		if err := h.b.AuditSession(node.AuditSessionEnd, sessionAudit(s, why)); err != nil {
			h.log.Error("audit log: session end not recorded", "session", s.ID, "err", err)
		}
	}
}

// TokenCreateRequest is the body of POST /api/tokens. TTL is a Go
// duration ("720h"); empty means staff.DefaultTokenTTL.
type TokenCreateRequest struct {
	Name string     `json:"name"`
	User string     `json:"user,omitempty"`
	Role staff.Role `json:"role,omitempty"`
	TTL  string     `json:"ttl,omitempty"`
}

// CreatedToken is the answer of POST /api/tokens: the only time the
// token's secret is shown.
type CreatedToken struct {
	staff.Token
	Secret string `json:"secret"`
}

func (h *Handler) listTokens(w http.ResponseWriter, _ *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d.Tokens())
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	var req TokenCreateRequest
	if err := decodeBody(r, &req, `{"name": "...", "user": "..." or "role": "...", "ttl": "720h"}`); err != nil {
		return err
	}
	var ttl time.Duration
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			return badRequest(`request body: "ttl" ` + req.TTL + `: want a positive duration such as 720h`)
		}
	}
	secret, t, err := d.CreateToken(actorOf(r), staff.TokenRequest{Name: req.Name, User: req.User, Role: req.Role, TTL: ttl})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, CreatedToken{Token: t, Secret: secret})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	d, err := h.directory()
	if err != nil {
		return err
	}
	t, err := d.RevokeToken(actorOf(r), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// rotateNodeToken serves POST /api/token/rotate: a new node token is
// written to api.token, and the old one is refused from now on.
func (h *Handler) rotateNodeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.token.rotate(); err != nil {
		if err == errNoTokenFile {
			return &Error{Status: http.StatusConflict, Code: "no_token_file", Message: "this node's token is not kept in a file it can rewrite"}
		}
		return err
	}
	if err := h.b.AuditTokenRotation(actorOf(r)); err != nil {
		h.log.Error("audit log: token rotation not recorded", "err", err)
	}
	h.log.Info("node token rotated", "actor", actorOf(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionAudit is the audit record of the end of session s.
func sessionAudit(s Session, by string) node.SessionAudit {
	return node.SessionAudit{ID: s.ID, Remote: s.Remote, Agent: s.Agent, By: by, Actor: s.Actor}
}
