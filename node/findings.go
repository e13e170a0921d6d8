package node

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// ErrUnknownFinding is returned by [Node.ExplainFinding] for an id that
// names no current finding.
var ErrUnknownFinding = errors.New("no such finding")

// findings is the node's reconciliation state, fed with every record it
// stores (its own and its partners').
type findings struct {
	mu   sync.Mutex // guards st and acks
	st   *reconcile.State
	acks map[string]FindingAck // by finding id
}

func newFindings(cfg Config) (*findings, error) {
	st, err := reconcile.NewState(cfg.Reconcile, cfg.Participant, reconcile.DefaultUnitValues())
	if err != nil {
		return nil, fmt.Errorf("%w: reconcile: %w", ErrBadConfig, err)
	}
	return &findings{st: st, acks: map[string]FindingAck{}}, nil
}

// loadFindings feeds every stored record into the reconciliation state.
func (n *Node) loadFindings() error {
	recs, err := n.st.Records(store.RecordQuery{})
	if err != nil {
		return fmt.Errorf("load records for reconciliation: %w", err)
	}
	batch := make([]reconcile.Record, 0, len(recs))
	for _, r := range recs {
		code, ok := n.feedCode(r.Author)
		if !ok {
			continue
		}
		v, err := protocol.ParseRecord(r.Type, r.Body)
		if err != nil {
			continue
		}
		batch = append(batch, reconcile.Record{Ref: reconcile.RecordRef{Feed: code, Seq: r.Seq}, Time: r.Time, Body: v})
	}
	n.findings.mu.Lock()
	n.findings.st.AddAll(batch)
	n.findings.mu.Unlock()
	return nil
}

// reconcile adds a stored record to the reconciliation state and reports
// the findings it raised or cleared as events.
func (n *Node) reconcile(feed string, seq uint64, t time.Time, value any) {
	if value == nil {
		return
	}
	n.findings.mu.Lock()
	changed, cleared := n.findings.st.Add(reconcile.Record{Ref: reconcile.RecordRef{Feed: feed, Seq: seq}, Time: t, Body: value})
	n.findings.mu.Unlock()
	for _, f := range changed {
		n.events.emit("finding_raised", map[string]any{"id": f.ID, "rule": f.Rule, "severity": string(f.Severity), "partner": f.Partner})
	}
	for _, id := range cleared {
		n.events.emit("finding_cleared", map[string]any{"id": id})
	}
}

// Findings returns the current findings that q selects, evaluated at the
// node's clock.
func (n *Node) Findings(q reconcile.Query) []reconcile.Finding {
	n.findings.mu.Lock()
	all := n.findings.st.Findings(n.now())
	n.findings.mu.Unlock()
	return reconcile.Select(all, q)
}

// ExplainFinding returns a finding and a longer explanation of it: the
// numbers behind it and the honest causes that may explain it.
func (n *Node) ExplainFinding(id string) (reconcile.Finding, string, error) {
	n.findings.mu.Lock()
	n.findings.st.Advance(n.now())
	f, text, ok := n.findings.st.Explain(id)
	n.findings.mu.Unlock()
	if !ok {
		return f, "", fmt.Errorf("finding %q: %w", id, ErrUnknownFinding)
	}
	return f, text, nil
}
