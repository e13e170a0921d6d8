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
	// Period is the reporting period the finding concerns: "2026-Q3",
	// "2026-H1" (production) or "2026" (a year's mirror statistics).
	Period string      `json:"period,omitempty"`
	Ack    *FindingAck `json:"ack,omitempty"`
	// AnsweredBy are the current annual reports that cite the finding as
	// resolved (their "resolves"); only a single finding's view fills it.
	AnsweredBy []reconcile.RecordRef `json:"answered_by,omitempty"`
}

// FindingsQuery selects findings for [Node.FindingViews],
// [Node.FindingsPage] and [Node.FindingsSummary].
type FindingsQuery struct {
	reconcile.Query
	NoPartner    bool   // only findings that name no partner (the node's own statistics)
	Open         bool   // only findings not acknowledged at their current severity
	Acknowledged bool   // only findings acknowledged at their current severity
	Period       string // only findings of this period, as FindingView.Period
	Cursor       string // continue after the last finding of a previous page
	Limit        int    // at most this many (FindingsPage)
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

// FindingViews returns every current finding that q selects, in id
// order, each with its period and acknowledgement (q's Cursor and Limit
// are ignored; [Node.FindingsPage] pages).
func (n *Node) FindingViews(q FindingsQuery) []FindingView {
	var out []FindingView
	n.eachFinding(q, "", true, func(x *reconcile.Finding, period string, ack *FindingAck) bool {
		out = append(out, FindingView{Finding: *x, Period: period, Ack: ack})
		return true
	})
	return out
}

// FindingView returns the current finding id with its period and
// acknowledgement, or an error wrapping [ErrUnknownFinding].
func (n *Node) FindingView(id string) (FindingView, error) {
	f, _, err := n.ExplainFinding(id)
	if err != nil {
		return FindingView{}, err
	}
	n.findings.mu.Lock()
	defer n.findings.mu.Unlock()
	return FindingView{Finding: f, Period: n.findings.st.Period(id), Ack: n.findings.ackOf(&f),
		AnsweredBy: n.findings.st.AnsweredBy(id)}, nil
}

// AcknowledgeFinding records that an operator looked at the current
// finding id, with an optional note. The acknowledgement is stored.
func (n *Node) AcknowledgeFinding(id, note string) (FindingView, error) {
	return n.acknowledgeFinding(store.ActorNode, id, note)
}

// acknowledgeFinding is AcknowledgeFinding by actor.
func (n *Node) acknowledgeFinding(actor, id, note string) (FindingView, error) {
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
	ev := store.AuditEvent{Action: AuditFindingAck, Actor: actor, Details: map[string]any{"id": id, "note": note, "severity": f.Severity}}
	if err := n.st.PutMetaAudited(ackMetaPrefix+id, v, ev); err != nil {
		return FindingView{}, fmt.Errorf("acknowledge finding %s: %w", id, err)
	}
	n.findings.mu.Lock()
	n.findings.acks[id] = a
	n.findings.ackGen++
	n.findings.mu.Unlock()
	n.events.emit("finding_acknowledged", map[string]any{"id": id, "rule": f.Rule, "severity": string(f.Severity)})
	return FindingView{Finding: f, Ack: &a}, nil
}
