package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
)

// RecordPage is the answer of GET /api/records.
type RecordPage struct {
	Records []node.RecordView `json:"records"`
	Next    string            `json:"next,omitempty"`
}

func (h *Handler) listRecords(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryUint(r, "limit", 100)
	if err != nil {
		return err
	}
	views, next, err := h.b.Records(node.RecordsQuery{Type: q.Get("type"), Feed: strings.ToUpper(q.Get("feed")),
		Limit: int(min(limit, 1000)), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RecordPage{Records: views, Next: next})
}

// recordPath returns the record a path names: {feed} (a participant
// code, any case) and {seq}.
func recordPath(r *http.Request) (feed string, seq uint64, err error) {
	seq, err = strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		return "", 0, badRequest("seq must be a positive integer")
	}
	return strings.ToUpper(r.PathValue("feed")), seq, nil
}

func (h *Handler) getRecord(w http.ResponseWriter, r *http.Request) error {
	feed, seq, err := recordPath(r)
	if err != nil {
		return err
	}
	v, err := h.b.Record(feed, seq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
