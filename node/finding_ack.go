package node

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// ackMetaPrefix prefixes the store metadata keys of finding
// acknowledgements; the finding's id follows.
const ackMetaPrefix = "ack/finding/"

// maxAckNote bounds an acknowledgement's note.
const maxAckNote = 2000

// FindingAck is an operator's acknowledgement of a finding: it has been
// looked at. It applies while the finding keeps the severity it had then;
// an escalation opens the finding again.
type FindingAck struct {
	Time     time.Time          `json:"time"`
	Note     string             `json:"note,omitempty"`
	Severity reconcile.Severity `json:"severity"`
}

// FindingView is a finding as the API lists it: the finding and, when an
// operator acknowledged it at its current severity, the acknowledgement.
type FindingView struct {
	reconcile.Finding
	Ack *FindingAck `json:"ack,omitempty"`
}

// FindingsQuery selects findings for [Node.FindingViews].
type FindingsQuery struct {
	reconcile.Query
	Open bool // only findings not acknowledged at their current severity
}

// loadAcks reads the stored acknowledgements.
func (n *Node) loadAcks() error {
	vals, err := n.st.MetaPrefix(ackMetaPrefix)
	if err != nil {
		return fmt.Errorf("load finding acknowledgements: %w", err)
	}
	for k, v := range vals {
		var a FindingAck
		if err := json.Unmarshal(v, &a); err != nil {
			n.log.Warn("skip unreadable finding acknowledgement", "key", k, "err", err)
			continue
		}
		n.findings.acks[strings.TrimPrefix(k, ackMetaPrefix)] = a
	}
	return nil
}

// FindingViews returns the current findings that q selects, each with its
// acknowledgement.
func (n *Node) FindingViews(q FindingsQuery) []FindingView {
	fs := n.Findings(q.Query)
	out := make([]FindingView, 0, len(fs))
	n.findings.mu.Lock()
	defer n.findings.mu.Unlock()
	for _, f := range fs {
		v := FindingView{Finding: f}
		if a, ok := n.findings.acks[f.ID]; ok && a.Severity == f.Severity {
			v.Ack = &a
		}
		if q.Open && v.Ack != nil {
			continue
		}
		out = append(out, v)
	}
	return out
}

// AcknowledgeFinding records that an operator looked at the current
// finding id, with an optional note. The acknowledgement is stored.
func (n *Node) AcknowledgeFinding(id, note string) (FindingView, error) {
	if len(note) > maxAckNote {
		return FindingView{}, fmt.Errorf("%w: acknowledgement note is %d bytes, at most %d", ErrInvalidRequest, len(note), maxAckNote)
	}
	if reason := protocol.TextProblem(note, maxAckNote, true); reason != "" {
		return FindingView{}, fmt.Errorf("%w: acknowledgement note %s", ErrInvalidRequest, reason)
	}
	f, _, err := n.ExplainFinding(id)
	if err != nil {
		return FindingView{}, err
	}
	a := FindingAck{Time: n.now().UTC().Truncate(time.Second), Note: note, Severity: f.Severity}
	v, err := json.Marshal(a)
	if err != nil {
		return FindingView{}, err
	}
	ev := store.AuditEvent{Action: AuditFindingAck, Details: map[string]any{"id": id, "note": note, "severity": f.Severity}}
	if err := n.st.PutMetaAudited(ackMetaPrefix+id, v, ev); err != nil {
		return FindingView{}, fmt.Errorf("acknowledge finding %s: %w", id, err)
	}
	n.findings.mu.Lock()
	n.findings.acks[id] = a
	n.findings.mu.Unlock()
	n.events.emit("finding_acknowledged", map[string]any{"id": id, "rule": f.Rule, "severity": string(f.Severity)})
	return FindingView{Finding: f, Ack: &a}, nil
}
