package api

import (
	"fmt"
	"net/http"

	"github.com/kpnode/kpnode/node"
)

// readiness is the answer of /readyz.
type readiness struct {
	Status string `json:"status"`           // "ready" or "not_ready"
	Reason string `json:"reason,omitempty"` // why not, for the operator
	// Partners is how many pinned partners (paused ones left out) are
	// connected, of how many.
	Partners string `json:"partners"`
}

// readyz is the readiness probe, without a token: 200 when the store
// answers, the reconciliation state is loaded, and at least one pinned
// partner is connected or none is pinned (paused partners do not count);
// 503 with the reason otherwise. /healthz stays the liveness probe.
func (h *Handler) readyz(w http.ResponseWriter, _ *http.Request) {
	s, err := h.b.Status()
	if err != nil {
		h.log.Warn("readiness: read node status", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, readiness{Status: "not_ready", Reason: "the store does not answer"})
		return
	}
	r := judgeReadiness(s)
	code := http.StatusOK
	if r.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, r)
}

// judgeReadiness decides readiness from a status snapshot.
func judgeReadiness(s node.Status) readiness {
	pinned, connected := 0, 0
	for _, p := range s.Partners {
		if p.Paused {
			continue
		}
		pinned++
		if p.Connected {
			connected++
		}
	}
	r := readiness{Status: "ready", Partners: fmt.Sprintf("%d of %d connected", connected, pinned)}
	switch {
	case s.Reconciliation.Loading:
		r.Status, r.Reason = "not_ready", fmt.Sprintf("loading stored records (%d so far)", s.Reconciliation.Records)
	case pinned > 0 && connected == 0:
		r.Status, r.Reason = "not_ready", fmt.Sprintf("none of the %d pinned partners is connected", pinned)
	}
	return r
}
