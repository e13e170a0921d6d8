package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
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
	fq := node.FindingsQuery{Query: reconcile.Query{Rule: q.Get("rule"), Partner: strings.ToUpper(q.Get("partner")),
		Severity: reconcile.Severity(q.Get("severity"))}}
	if s := q.Get("since"); s != "" {
		d, err := protocol.ParseDate(s)
		if err != nil {
			return badRequest(fmt.Sprintf("query parameter \"since\": %v (want YYYY-MM-DD)", err))
		}
		fq.Since = d.Time()
	}
	switch q.Get("open") {
	case "", "false":
	case "true":
		fq.Open = true
	default:
		return badRequest(fmt.Sprintf("query parameter \"open\": %q (want true or false)", q.Get("open")))
	}
	return writeJSON(w, http.StatusOK, h.b.FindingViews(fq))
}

// AckFindingRequest is the body of POST /api/findings/ack.
type AckFindingRequest struct {
	ID   string `json:"id"`
	Note string `json:"note"`
}

func (h *Handler) ackFinding(w http.ResponseWriter, r *http.Request) error {
	var req AckFindingRequest
	if err := decodeBody(r, &req, `{"id": "R1/…", "note": "…"}`); err != nil {
		return err
	}
	if req.ID == "" {
		return badRequest(`request body: "id" is required`)
	}
	v, err := h.b.AcknowledgeFinding(req.ID, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// AckNoticeRequest is the body of POST /api/notices/{feed}/{seq}/ack.
type AckNoticeRequest struct {
	Remarks string `json:"remarks"`
}

func (h *Handler) ackNotice(w http.ResponseWriter, r *http.Request) error {
	var req AckNoticeRequest
	if err := decodeBody(r, &req, `{"remarks": "…"}`); err != nil {
		return err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return badRequest(fmt.Sprintf("path: seq %q is not a positive integer", r.PathValue("seq")))
	}
	p, err := h.b.AcknowledgeNotice(r.Context(), strings.ToUpper(r.PathValue("feed")), seq, req.Remarks)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (h *Handler) unitValues(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, h.b.UnitValueReference())
}

func (h *Handler) explainFinding(w http.ResponseWriter, r *http.Request) error {
	f, text, err := h.b.ExplainFinding(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FindingExplained{Finding: f, Explanation: text})
}
