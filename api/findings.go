package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// FindingExplained is the answer of GET /api/findings/{id}.
type FindingExplained struct {
	Finding     reconcile.Finding `json:"finding"`
	Explanation string            `json:"explanation"`
	Period      string            `json:"period,omitempty"`
	Ack         *node.FindingAck  `json:"ack,omitempty"`
	// AnsweredBy are the annual reports that cite the finding as resolved.
	AnsweredBy []reconcile.RecordRef `json:"answered_by,omitempty"`
}

// Paging of GET /api/findings: the page size unless limit says otherwise.
const defaultFindingsLimit = 500

func (h *Handler) listFindings(w http.ResponseWriter, r *http.Request) error {
	fq, err := findingsQuery(r)
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", defaultFindingsLimit)
	if err != nil {
		return err
	}
	if limit < 1 || limit > node.MaxFindingsPage {
		return badRequest(fmt.Sprintf("query parameter \"limit\": %d is out of range (want 1 … %d)", limit, node.MaxFindingsPage))
	}
	fq.Limit, fq.Cursor = int(limit), r.URL.Query().Get("cursor")
	page, err := h.b.FindingsPage(fq)
	if errors.Is(err, node.ErrBadCursor) {
		return badRequest(fmt.Sprintf("query parameter \"cursor\": %q is not a cursor this list gave (pass its \"next\" unchanged)", clip(fq.Cursor, 40)))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (h *Handler) summarizeFindings(w http.ResponseWriter, r *http.Request) error {
	fq, err := findingsQuery(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.b.FindingsSummary(fq))
}

// findingsQuery reads the filters of GET /api/findings and its summary;
// a bad value is a 400 naming the parameter.
func findingsQuery(r *http.Request) (node.FindingsQuery, error) {
	q := r.URL.Query()
	var fq node.FindingsQuery
	var err error
	for _, step := range []func() error{
		func() error { fq.Rule, err = ruleParam(q.Get("rule")); return err },
		func() error { err = partnerParam(q.Get("partner"), &fq); return err },
		func() error { fq.Severity, err = severityParam(q.Get("severity")); return err },
		func() error { fq.Period, err = periodParam(q.Get("period")); return err },
		func() error { fq.Since, err = sinceParam(q.Get("since")); return err },
		func() error { fq.Open, err = boolParam(q, "open"); return err },
		func() error { fq.Acknowledged, err = boolParam(q, "acknowledged"); return err },
	} {
		if err := step(); err != nil {
			return fq, err
		}
	}
	return fq, nil
}

func ruleParam(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	id, ok := reconcile.RuleID(s)
	if !ok {
		return "", badRequest(fmt.Sprintf("query parameter \"rule\": %q is not a rule (want R1 … R13 or a rule's name)", clip(s, 40)))
	}
	return id, nil
}

// partnerParam reads a participant code, or "none": the findings about
// the node's own statistics, which name no partner.
func partnerParam(s string, fq *node.FindingsQuery) error {
	switch code := strings.ToUpper(s); {
	case s == "":
	case s == "none":
		fq.NoPartner = true
	case knownCode(code):
		fq.Partner = code
	default:
		return badRequest(fmt.Sprintf("query parameter \"partner\": %q is not a participant code (or \"none\")", clip(s, 40)))
	}
	return nil
}

func severityParam(s string) (reconcile.Severity, error) {
	switch v := reconcile.Severity(s); v {
	case "", reconcile.Info, reconcile.Warning, reconcile.Critical:
		return v, nil
	}
	return "", badRequest(fmt.Sprintf("query parameter \"severity\": %q (want info, warning or critical)", clip(s, 40)))
}

// periodParam reads a quarter (2026-Q3), a half-year (2026-H1) or a year.
func periodParam(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := protocol.ParseQuarter(s); err == nil {
		return s, nil
	}
	if _, err := protocol.ParseHalf(s); err == nil {
		return s, nil
	}
	if y, err := strconv.Atoi(s); err == nil && len(s) == 4 && y >= 1900 {
		return s, nil
	}
	return "", badRequest(fmt.Sprintf("query parameter \"period\": %q (want a quarter 2026-Q3, a half-year 2026-H1 or a year 2026)", clip(s, 40)))
}

func sinceParam(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := protocol.ParseDate(s)
	if err != nil {
		return time.Time{}, badRequest(fmt.Sprintf("query parameter \"since\": %v (want YYYY-MM-DD)", err))
	}
	return d.Time(), nil
}

func boolParam(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badRequest(fmt.Sprintf("query parameter %q: %q (want true or false)", name, clip(q.Get(name), 40)))
}

// clip shortens a refused value for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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
	v, err := h.acting(r).AcknowledgeFinding(req.ID, req.Note)
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
	fe := FindingExplained{Finding: f, Explanation: text}
	if v, err := h.b.FindingView(f.ID); err == nil {
		fe.Period, fe.Ack, fe.AnsweredBy = v.Period, v.Ack, v.AnsweredBy
	}
	return writeJSON(w, http.StatusOK, fe)
}

// knownCode reports whether code can name a participant or the trading
// entity (protocol.AdmissibleCode).
func knownCode(code string) bool { return protocol.AdmissibleCode(code, false) }
