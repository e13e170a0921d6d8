package testnet

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/testnet/trade"
)

// Expected is a finding the ground truth says a member must raise.
type Expected = trade.Expected

// checkFindings scores m's findings against the truth (trade.Compare) and
// adds the score to the report's; it returns m's finding count.
func (n *Network) checkFindings(ctx context.Context, m *Member, truth []Expected, r *Report) (int, error) {
	got, err := n.allFindings(ctx, m)
	if err != nil {
		return 0, err
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

// allFindings lists m's findings, a page at a time.
func (n *Network) allFindings(ctx context.Context, m *Member) ([]node.FindingView, error) {
	var all []node.FindingView
	for cursor := ""; ; {
		var page node.FindingsPage
		path := "/api/findings?limit=" + strconv.Itoa(node.MaxFindingsPage) + "&cursor=" + url.QueryEscape(cursor)
		if err := n.call(ctx, m, "GET", path, nil, &page); err != nil {
			return nil, fmt.Errorf("findings of %s: %w", m.Code, err)
		}
		all = append(all, page.Findings...)
		if page.Next == "" {
			return all, nil
		}
		cursor = page.Next
	}
}
