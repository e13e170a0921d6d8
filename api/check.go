package api

import (
	"io"
	"net/http"

	"github.com/kpnode/kpnode/protocol"
)

// RecordCheck is the answer of POST /api/records/{type}/check for a valid
// record.
type RecordCheck struct {
	Valid bool `json:"valid"`
}

// checkRecord validates a record body without publishing it, so that a
// form shows every wrong field in one pass before anything is sent. An
// invalid record is refused with the field errors of POST
// /api/records/{type} (invalid_record).
func (h *Handler) checkRecord(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if err := protocol.ValidateRecord(r.PathValue("type"), body); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RecordCheck{Valid: true})
}
