package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// FindingExplained is the answer of GET /api/findings/{id}.
type FindingExplained struct {
	Finding     reconcile.Finding `json:"finding"`
	Explanation string            `json:"explanation"`
}

func (h *Handler) listFindings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fq := reconcile.Query{Rule: q.Get("rule"), Partner: strings.ToUpper(q.Get("partner")),
		Severity: reconcile.Severity(q.Get("severity"))}
	if s := q.Get("since"); s != "" {
		d, err := protocol.ParseDate(s)
		if err != nil {
			return badRequest(fmt.Sprintf("query parameter \"since\": %v (want YYYY-MM-DD)", err))
		}
		fq.Since = d.Time()
	}
	fs := h.b.Findings(fq)
	if fs == nil {
		fs = []reconcile.Finding{}
	}
	return writeJSON(w, http.StatusOK, fs)
}

func (h *Handler) explainFinding(w http.ResponseWriter, r *http.Request) error {
	f, text, err := h.b.ExplainFinding(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FindingExplained{Finding: f, Explanation: text})
}
