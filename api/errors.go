package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
	"github.com/kpnode/kpnode/tabular"
)

// Error is the body of every failed API request.
type Error struct {
	Status  int                   `json:"-"`
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []protocol.FieldError `json:"fields,omitempty"`
	Rows    []tabular.RowError    `json:"rows,omitempty"`
}

func (e *Error) Error() string { return e.Message }

var errUnauthorized = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
	Message: "missing or wrong bearer token (see api.token in the node's home)"}

// classify maps an error to its API form. Unknown errors become a 500 whose
// message hides the cause.
func classify(err error) *Error {
	var ae *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: err.Error()}
	}
	if e := importError(err); e != nil {
		return e
	}
	e := classifySentinel(err)
	var ve *protocol.ValidationError
	if errors.As(err, &ve) {
		if e == nil {
			e = &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_record"}
		}
		e.Message = fmt.Sprintf("invalid %s: %d field error(s)", ve.Type, len(ve.Errors))
		if e.Code == "invalid_card" {
			e.Message = "invalid partner card: " + e.Message
		}
		e.Fields = ve.Errors
	}
	return e
}

func classifySentinel(err error) *Error {
	table := []struct {
		target error
		status int
		code   string
	}{
		{protocol.ErrUnknownType, http.StatusBadRequest, "unknown_record_type"},
		{node.ErrInvalidRecord, http.StatusUnprocessableEntity, "invalid_record"},
		{node.ErrImportConflict, http.StatusConflict, "import_conflict"},
		{node.ErrNonParty, http.StatusUnprocessableEntity, "non_party"},
		{node.ErrNoParty, http.StatusUnprocessableEntity, "no_party"},
		{node.ErrInvalidCard, http.StatusBadRequest, "invalid_card"},
		{node.ErrInvalidAddr, http.StatusBadRequest, "invalid_address"},
		{node.ErrUnknownParticipant, http.StatusBadRequest, "unknown_participant"},
		{node.ErrUnknownPartner, http.StatusNotFound, "unknown_partner"},
		{store.ErrNotFound, http.StatusNotFound, "not_found"},
		{node.ErrUnknownFinding, http.StatusNotFound, "unknown_finding"},
		{node.ErrBadCursor, http.StatusBadRequest, "bad_request"},
		{node.ErrInvalidRequest, http.StatusBadRequest, "bad_request"},
		{store.ErrFull, http.StatusInsufficientStorage, "store_full"},
		{node.ErrOwnHeadUnconfirmed, http.StatusConflict, "own_head_unconfirmed"},
		{node.ErrKeyRetired, http.StatusConflict, "key_retired"},
		// staff accounts and tokens
		{staff.ErrInvalid, http.StatusBadRequest, "bad_request"},
		{staff.ErrExists, http.StatusConflict, "exists"},
		{staff.ErrNotFound, http.StatusNotFound, "not_found"},
		// attachments
		{node.ErrNoAttachment, http.StatusNotFound, "not_found"},
		{node.ErrAmbiguousAttachment, http.StatusConflict, "ambiguous_attachment"},
		{node.ErrAttachmentUnavailable, http.StatusBadGateway, "attachment_unavailable"},
	}
	for _, t := range table {
		if errors.Is(err, t.target) {
			return &Error{Status: t.status, Code: t.code, Message: err.Error()}
		}
	}
	return nil
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	if ae == nil {
		h.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; the node's log has the cause"}
	}
	writeError(w, ae)
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, struct {
		Error *Error `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}
