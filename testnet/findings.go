package testnet

import (
	"context"
	"fmt"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/testnet/trade"
)

// Expected is a finding the ground truth says a member must raise.
type Expected = trade.Expected

// checkFindings scores m's findings against the truth (trade.Compare) and
// adds the score to the report's; it returns m's finding count.
func (n *Network) checkFindings(ctx context.Context, m *Member, truth []Expected, r *Report) (int, error) {
	var got []node.FindingView
	if err := n.call(ctx, m, "GET", "/api/findings", nil, &got); err != nil {
		return 0, fmt.Errorf("findings of %s: %w", m.Code, err)
	}
	if truth == nil {
		return len(got), nil
	}
	fs := make([]reconcile.Finding, len(got))
	for i, v := range got {
		fs[i] = v.Finding
	}
	if r.Findings == nil {
		r.Findings = &trade.Score{}
	}
	r.Findings.Merge(trade.Compare(truth, m.Code, fs))
	return len(got), nil
}
