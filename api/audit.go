package api

import "net/http"

// auditLog answers GET /api/audit?limit=N: the newest limit (default 100,
// at most 10000) records of the audit log, newest first.
func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryUint(r, "limit", 100)
	if err != nil {
		return err
	}
	recs, err := h.b.AuditLog(int(min(limit, 10000)))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, recs)
}

// verifyAudit answers POST /api/audit/verify with the audit log's chain
// check.
func (h *Handler) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.b.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
