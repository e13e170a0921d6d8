package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
)

// questionnaires serves GET /api/questionnaires: the life of the anomaly
// queries this node sent and each partner's response rate.
func (h *Handler) questionnaires(w http.ResponseWriter, _ *http.Request) error {
	q, err := h.b.Questionnaires()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

// AskFindingRequest is the body of POST /api/findings/ask.
type AskFindingRequest struct {
	ID string `json:"id"`
}

// askAboutFinding serves POST /api/findings/ask: the finding's anomaly
// query, drafted and sent to its partner in one action.
func (h *Handler) askAboutFinding(w http.ResponseWriter, r *http.Request) error {
	var req AskFindingRequest
	if err := decodeBody(r, &req, `{"id": "R9/…"}`); err != nil {
		return err
	}
	if req.ID == "" {
		return badRequest(`request body: "id" is required`)
	}
	p, err := h.b.AskAboutFinding(r.Context(), req.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

// AcceptAnswerRequest is the body of POST /api/questionnaires/accept.
type AcceptAnswerRequest struct {
	Answer string `json:"answer"` // the answer's entry, "BE/9"
}

// acceptAnswer serves POST /api/questionnaires/accept: the clerk accepts
// a partner's answer, which closes its questionnaire and the finding that
// started it.
func (h *Handler) acceptAnswer(w http.ResponseWriter, r *http.Request) error {
	var req AcceptAnswerRequest
	if err := decodeBody(r, &req, `{"answer": "BE/9"}`); err != nil {
		return err
	}
	if req.Answer == "" {
		return badRequest(`request body: "answer" is required`)
	}
	q, err := h.b.AcceptAnswer(r.Context(), req.Answer)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

// calendar serves GET /api/calendar: the submission calendar, optionally
// of one participant (?partner=BE).
func (h *Handler) calendar(w http.ResponseWriter, r *http.Request) error {
	c := h.b.Calendar()
	if code := r.URL.Query().Get("partner"); code != "" {
		code = strings.ToUpper(code)
		if !knownCode(code) {
			return badRequest(fmt.Sprintf("partner: want a participant code such as BE, got %q", clip(code, 20)))
		}
		var keep []reconcile.PartyCalendar
		for _, p := range c.Parties {
			if p.Code == code {
				keep = append(keep, p)
			}
		}
		c.Parties = append([]reconcile.PartyCalendar{}, keep...)
	}
	return writeJSON(w, http.StatusOK, c)
}
