package testnet

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/testnet/trade"
)

// checkQuestions compares m's questionnaires (GET /api/questionnaires,
// per partner asked) with what the truth says m asked: each partner's
// queries asked, answered and overdue, and no partner besides. It returns
// one problem per mismatch.
func (n *Network) checkQuestions(ctx context.Context, m *Member, truth []trade.ExpectedQuestions) ([]string, error) {
	var q reconcile.Questionnaires
	if err := n.call(ctx, m, "GET", "/api/questionnaires", nil, &q); err != nil {
		return nil, fmt.Errorf("questionnaires of %s: %w", m.Code, err)
	}
	got := map[string]reconcile.ResponseRate{}
	for _, r := range q.Partners {
		got[r.Partner] = r
	}
	var probs []string
	for _, w := range truth {
		if w.Asker != m.Code {
			continue
		}
		g, ok := got[w.Partner]
		delete(got, w.Partner)
		if !ok || g.Asked != w.Asked || g.Answered != w.Answered || g.Overdue != w.Overdue {
			probs = append(probs, fmt.Sprintf("%s's questionnaires to %s: asked %d, answered %d, overdue %d; want %d, %d, %d",
				m.Code, w.Partner, g.Asked, g.Answered, g.Overdue, w.Asked, w.Answered, w.Overdue))
		}
	}
	for _, p := range sortedRates(got) {
		probs = append(probs, fmt.Sprintf("%s's questionnaires to %s: asked %d, which the truth does not hold", m.Code, p.Partner, p.Asked))
	}
	return probs, nil
}

// sortedRates returns the rates by partner.
func sortedRates(m map[string]reconcile.ResponseRate) []reconcile.ResponseRate {
	out := make([]reconcile.ResponseRate, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b reconcile.ResponseRate) int { return strings.Compare(a.Partner, b.Partner) })
	return out
}

// checkCalendar compares m's submission calendar (GET /api/calendar) with
// what the truth says m must show late and missing, both ways
// (trade.CompareCalendar); one problem per obligation that differs.
func (n *Network) checkCalendar(ctx context.Context, m *Member, truth []trade.ExpectedCalendar) ([]string, error) {
	var c reconcile.Calendar
	if err := n.call(ctx, m, "GET", "/api/calendar", nil, &c); err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", m.Code, err)
	}
	return trade.CompareCalendar(truth, m.Code, c), nil
}
