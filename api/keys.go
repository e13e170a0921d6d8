package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRotateWait bounds how long POST /api/keys/rotate waits for the
// partners' receipts of the hand-over.
const maxRotateWait = 10 * time.Minute

// RotateRequest is the body of POST /api/keys/rotate.
type RotateRequest struct {
	// Reason is told to the partners' operators in the hand-over.
	Reason string `json:"reason,omitempty"`
	// WaitSeconds bounds the wait for the partners' receipts of the
	// hand-over; 0 means 120, at most 600.
	WaitSeconds int `json:"wait_seconds,omitempty"`
}

// RecoverRequest is the body of POST /api/recovery/force.
type RecoverRequest struct {
	// Note says why the operator ends recovery without the partners'
	// heads; it goes to the audit log.
	Note string `json:"note"`
}

func (h *Handler) rotateKeys(w http.ResponseWriter, r *http.Request) error {
	var req RotateRequest
	if err := decodeBody(r, &req, `{"reason": "…", "wait_seconds": 120}`); err != nil {
		return err
	}
	wait := time.Duration(req.WaitSeconds) * time.Second
	switch {
	case req.WaitSeconds == 0:
		wait = 2 * time.Minute
	case req.WaitSeconds < 0 || wait > maxRotateWait:
		return badRequest(fmt.Sprintf(`"wait_seconds" must be 0..%d`, int(maxRotateWait.Seconds())))
	}
	res, err := h.b.RotateKeys(r.Context(), req.Reason, wait)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) repinPartner(w http.ResponseWriter, r *http.Request) error {
	seq, err := strconv.ParseUint(r.URL.Query().Get("valid_through"), 10, 64)
	if err != nil {
		return badRequest(`query parameter "valid_through" must be the last seq of the old key to keep (0 keeps none)`)
	}
	card, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	res, err := h.acting(r).RepinPartner(strings.ToUpper(r.PathValue("code")), card, seq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) forceRecovered(w http.ResponseWriter, r *http.Request) error {
	var req RecoverRequest
	if err := decodeBody(r, &req, `{"note": "why"}`); err != nil {
		return err
	}
	if strings.TrimSpace(req.Note) == "" {
		return badRequest(`request body: "note" is required: say why recovery ends without the partners' heads`)
	}
	st, err := h.acting(r).ForceRecovered(req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
