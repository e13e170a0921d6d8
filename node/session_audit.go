package node

// Audit actions of the dashboard's sign-in sessions (api.sessions): a
// browser signed in with a one-time code, and a session ended by its user
// or revoked by an operator.
const (
	AuditSessionStart = "session.start" // a browser signed in with a one-time code
	AuditSessionEnd   = "session.end"   // a session signed out or revoked
)

// SessionAudit describes a dashboard session for the audit log. It never
// holds the session's secret.
type SessionAudit struct {
	ID     string `json:"id"`               // the session's public id
	Remote string `json:"remote,omitempty"` // the client's address
	Agent  string `json:"agent,omitempty"`  // the browser's User-Agent, truncated
	By     string `json:"by,omitempty"`     // session.end: "signout", "revoke" or "account changed"
	Actor  string `json:"-"`                // who signed in: the audit record's actor
}

// AuditSession appends a sign-in or the end of a session to the audit log.
// The API refuses the sign-in when it fails.
func (n *Node) AuditSession(action string, s SessionAudit) error {
	return n.auditAs(s.Actor, action, s)
}

// AuditTokenRotate is the node's own API token replaced by kpnode token
// rotate.
const AuditTokenRotate = "token.rotate"

// AuditTokenRotation appends the rotation of the node's own API token,
// by actor, to the audit log.
func (n *Node) AuditTokenRotation(actor string) error {
	return n.auditAs(actor, AuditTokenRotate, nil)
}
