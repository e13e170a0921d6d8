package node

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// AskAboutFinding starts a questionnaire from a finding in one action: it
// drafts the anomaly query the finding calls for (reconcile's DraftQuery:
// statistics findings, R9–R12, due anomaly_query_due_days from now, citing
// the rule and the finding) and sends it to the finding's partner. The
// reference is "<self>-AQ-<yyyymmdd>-<8 hex digits of the id>", the same
// for the same finding on the same day. It returns an error wrapping
// [ErrUnknownFinding] for an id that names no current finding, and
// [ErrInvalidRequest] for a finding about this node's own statistics (no
// partner) or one that calls for no query.
func (n *Node) AskAboutFinding(ctx context.Context, id string) (Published, error) {
	n.waitFindings()
	now := n.now()
	sum := sha256.Sum256([]byte(id))
	ref := fmt.Sprintf("%s-AQ-%s-%x", n.cfg.Participant, now.UTC().Format("20060102"), sum[:4])
	parties := n.calendarParties()
	f := n.findings
	f.mu.Lock()
	f.st.SetParties(parties)
	f.st.Advance(now)
	finding, found := f.st.Finding(id)
	q, drafted := f.st.DraftQuery(id, ref, now)
	f.mu.Unlock()
	switch {
	case !found:
		return Published{}, fmt.Errorf("finding %q: %w", id, ErrUnknownFinding)
	case finding.Partner == "":
		return Published{}, fmt.Errorf("%w: finding %s is about this node's own statistics: there is no partner to ask", ErrInvalidRequest, id)
	case !drafted:
		return Published{}, fmt.Errorf("%w: finding %s calls for no anomaly query (statistics findings, R9 to R12, do)", ErrInvalidRequest, id)
	}
	body, err := json.Marshal(q)
	if err != nil {
		return Published{}, err
	}
	return n.PublishRecord(ctx, PublishRequest{Type: protocol.AnomalyQueryType, Body: body, To: []string{finding.Partner}})
}
