package testnet

import (
	"context"
	"fmt"
	"slices"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/testnet/trade"
)

// Expected is a finding the ground truth says a member must raise.
type Expected = trade.Expected

// RuleScore compares one rule's findings with the ground truth, summed
// over the members.
type RuleScore struct {
	Rule        string   `json:"rule"`
	Expected    int      `json:"expected"`
	Found       int      `json:"found"`
	Missed      []string `json:"missed,omitempty"`       // "BE: R1/IN/IN0001234"
	FalseAlarms []string `json:"false_alarms,omitempty"` // "BE: R8/IN/IN0001234/1"
}

// checkFindings compares m's findings with the truth, adds them to the
// report's rule scores, and returns the problems and m's finding count.
func (n *Network) checkFindings(ctx context.Context, m *Member, truth []Expected, r *Report) ([]string, int, error) {
	var got []node.FindingView
	if err := n.call(ctx, m, "GET", "/api/findings", nil, &got); err != nil {
		return nil, 0, fmt.Errorf("findings of %s: %w", m.Code, err)
	}
	if truth == nil {
		return nil, len(got), nil
	}
	want := map[string]Expected{}
	for _, e := range truth {
		if slices.Contains(e.Observers, m.Code) {
			want[e.ID] = e
		}
	}
	var probs []string
	seen := map[string]bool{}
	for _, f := range got {
		seen[f.ID] = true
		sc := r.score(f.Rule)
		if _, ok := want[f.ID]; ok {
			sc.Found++
			continue
		}
		sc.FalseAlarms = append(sc.FalseAlarms, m.Code+": "+f.ID)
		probs = append(probs, fmt.Sprintf("%s: false alarm %s: %s", m.Code, f.ID, f.Explanation))
	}
	for id, e := range want {
		sc := r.score(e.Rule)
		sc.Expected++
		if !seen[id] {
			sc.Missed = append(sc.Missed, m.Code+": "+id)
			probs = append(probs, fmt.Sprintf("%s: missed %s (%s)", m.Code, id, e.Note))
		}
	}
	slices.Sort(probs)
	return probs, len(got), nil
}

// score returns the report's score of rule, adding it in rule order.
func (r *Report) score(rule string) *RuleScore {
	for i := range r.Rules {
		if r.Rules[i].Rule == rule {
			return &r.Rules[i]
		}
	}
	r.Rules = append(r.Rules, RuleScore{Rule: rule})
	slices.SortFunc(r.Rules, func(a, b RuleScore) int { return ruleNumber(a.Rule) - ruleNumber(b.Rule) })
	return r.score(rule)
}

// ruleNumber orders "R2" before "R10".
func ruleNumber(rule string) int {
	n := 0
	fmt.Sscanf(rule, "R%d", &n)
	return n
}
