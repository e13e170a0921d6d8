package node

import (
	"context"
	"io"

	"github.com/kpnode/kpnode/store"
)

// AuditBackup is the audit action of a backup of the store taken.
const AuditBackup = "store.backup"

// BackupAudit describes a backup for the audit log.
type BackupAudit struct {
	File    string `json:"file,omitempty"` // where the operator wrote it
	Keys    int    `json:"keys"`
	Entries int    `json:"entries"`
	Records int    `json:"records"`
}

// Backup streams a consistent snapshot of the node's store to w (a store
// backup stream, plaintext) while the node keeps running, and records it
// in the audit log. file names where the caller writes it, for the log.
func (n *Node) Backup(ctx context.Context, w io.Writer, file string) (store.BackupInfo, error) {
	info, err := n.st.Backup(ctx, w)
	if err != nil {
		return info, err
	}
	return info, n.auditAs(actorOf(ctx), AuditBackup, BackupAudit{File: file, Keys: info.Keys, Entries: info.Entries, Records: info.Records})
}
