package api

import (
	"fmt"
	"net/http"

	"github.com/kpnode/kpnode/node"
)

// inbox answers GET /api/inbox: what awaits this node, computed by the
// node from current records ([node.Node.Inbox]); limit and offset page
// every list.
func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryUint(r, "limit", node.DefaultInboxLimit)
	if err != nil {
		return err
	}
	if limit < 1 || limit > node.MaxInboxLimit {
		return badRequest(fmt.Sprintf("query parameter \"limit\": %d is out of range (want 1 … %d)", limit, node.MaxInboxLimit))
	}
	offset, err := queryUint(r, "offset", 0)
	if err != nil {
		return err
	}
	ib, err := h.b.Inbox(node.InboxQuery{Limit: int(limit), Offset: int(min(offset, 1<<31))})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ib)
}
