package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
)

// evidence answers GET /api/evidence/{feed}/{seq}?item=I with the record's
// evidence bundle (docs/protocol.md §3.2), exactly as a file holds it.
func (h *Handler) evidence(w http.ResponseWriter, r *http.Request) error {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return badRequest(fmt.Sprintf("path: seq %q is not a positive integer", r.PathValue("seq")))
	}
	req := node.EvidenceRequest{Feed: strings.ToUpper(r.PathValue("feed")), Seq: seq, Actor: actorOf(r)}
	if s := r.URL.Query().Get("item"); s != "" {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 {
			return badRequest(fmt.Sprintf("query parameter \"item\": %q is not a batch item index (0, 1, …)", s))
		}
		req.Item = &i
	}
	b, err := h.b.Evidence(req)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(b.Encode())
	return err
}
