package node

import (
	"context"
	"fmt"

	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
)

// Audit actions: the administrative actions this node appends to its
// audit log (docs/operations.md, "Audit log").
const (
	AuditPartnerAdd     = roster.AuditPartnerAdd    // a card pinned (or re-pinned to refresh it)
	AuditPartnerRemove  = roster.AuditPartnerRemove // a partner unpinned
	AuditPartnerPause   = roster.AuditPartnerPause  // a partner's link paused
	AuditPartnerResume  = roster.AuditPartnerResume // a partner's link resumed
	AuditPartnerAddrs   = roster.AuditPartnerAddrs  // a partner's address override set or cleared
	AuditPartnerRepin   = roster.AuditPartnerRepin  // a partner re-pinned from a new card after a compromise
	AuditPartnerRotate  = roster.AuditPartnerRotate // a partner followed to its new key by a hand-over entry
	AuditImport         = "import"                  // a file of records imported and published
	AuditExport         = "export"                  // records or statistics exported to a file
	AuditEvidenceExport = "evidence.export"         // an evidence bundle handed out
	AuditFindingAck     = "finding.ack"             // a finding acknowledged
	AuditAnswerAccept   = "answer.accept"           // a partner's answer to a questionnaire accepted
)

// maxAuditList caps one listing of the audit log.
const maxAuditList = 10000

// AuditLog returns the newest limit records of the audit log, newest
// first; limit 0 means 100, at most 10000.
func (n *Node) AuditLog(limit int) ([]store.AuditRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	recs, err := n.st.AuditLog(min(limit, maxAuditList))
	if err != nil {
		return nil, err
	}
	if recs == nil {
		recs = []store.AuditRecord{}
	}
	return recs, nil
}

// VerifyAudit re-checks the audit log's hash chain.
func (n *Node) VerifyAudit(ctx context.Context) (store.AuditReport, error) {
	return n.st.VerifyAudit(ctx)
}

// auditAs appends an action by actor that writes nothing else to the
// store. The caller must not report the action as done when it fails.
func (n *Node) auditAs(actor, action string, details any) error {
	if _, err := n.st.AppendAudit(store.AuditEvent{Action: action, Details: details, Actor: actor}); err != nil {
		n.log.Error("audit log: cannot append", "action", action, "err", err)
		return fmt.Errorf("append to the audit log: %w", err)
	}
	return nil
}

// ExportAudit describes an export for the audit log: what was exported,
// how it was filtered and where it went.
type ExportAudit struct {
	Kind    string `json:"kind"`              // an import kind, or "kp-statistics"
	Format  string `json:"format,omitempty"`  // csv or json
	File    string `json:"file"`              // the file the client writes, "-" for standard output
	From    string `json:"from,omitempty"`    // the date filter
	To      string `json:"to,omitempty"`      // the date filter
	Partner string `json:"partner,omitempty"` // the partner filter
	Period  string `json:"period,omitempty"`  // kp-statistics: the quarter
	Records int    `json:"records"`           // records (or statistics rows) exported
	Actor   string `json:"-"`                 // who exported: the audit record's actor
}

// AuditExport appends an export to the audit log. The API calls it before
// it sends the exported data, and sends nothing when it fails.
func (n *Node) AuditExport(a ExportAudit) error { return n.auditAs(a.Actor, AuditExport, a) }
