package trade

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
)

// RuleScore counts, for one rule, the findings expected, found, missed and
// raised without being expected.
type RuleScore struct {
	Expected    int `json:"expected"`
	Found       int `json:"found"`
	Missed      int `json:"missed"`
	FalseAlarms int `json:"false_alarms"`
}

func (r *RuleScore) add(o RuleScore) {
	r.Expected += o.Expected
	r.Found += o.Found
	r.Missed += o.Missed
	r.FalseAlarms += o.FalseAlarms
}

// Mismatch is one finding of one node that did not go as expected.
type Mismatch struct {
	Observer string             `json:"observer"`
	ID       string             `json:"id"`
	Rule     string             `json:"rule"`
	Want     reconcile.Severity `json:"want,omitempty"`     // expected severity; empty for a false alarm
	Got      reconcile.Severity `json:"got,omitempty"`      // raised severity; empty for a miss
	Explains string             `json:"explains,omitempty"` // the phrase the explanation lacks
}

// Score compares the findings of one or more nodes with the ground truth.
// The zero Score is an empty comparison; [Score.Merge] adds others to it.
type Score struct {
	// Rules are the counts by rule, "R1".."R12".
	Rules map[string]RuleScore `json:"rules"`
	// Missed are expected findings a node did not raise.
	Missed []Mismatch `json:"missed,omitempty"`
	// FalseAlarms are findings raised that nothing expected.
	FalseAlarms []Mismatch `json:"false_alarms,omitempty"`
	// WrongSeverity are expected findings raised with another severity;
	// they count as found.
	WrongSeverity []Mismatch `json:"wrong_severity,omitempty"`
	// WrongExplanation are expected findings raised without the phrase
	// their expectation's Explains requires; they count as found.
	WrongExplanation []Mismatch `json:"wrong_explanation,omitempty"`
}

// Compare scores the findings got that node observer raised against exp,
// matching by finding ID: an expectation counts for observer when
// observer is one of its Observers. A finding raised with the expected
// severity must also contain the expectation's Explains phrase, if any.
func Compare(exp []Expected, observer string, got []reconcile.Finding) Score {
	s := Score{Rules: map[string]RuleScore{}}
	raised := map[string]reconcile.Finding{}
	for _, f := range got {
		raised[f.ID] = f
	}
	wanted := map[string]bool{}
	for _, e := range exp {
		if !slices.Contains(e.Observers, observer) {
			continue
		}
		wanted[e.ID] = true
		s.count(e.Rule, RuleScore{Expected: 1})
		f, ok := raised[e.ID]
		switch {
		case !ok:
			s.count(e.Rule, RuleScore{Missed: 1})
			s.Missed = append(s.Missed, Mismatch{Observer: observer, ID: e.ID, Rule: e.Rule, Want: e.Severity})
		case f.Severity != e.Severity:
			s.count(e.Rule, RuleScore{Found: 1})
			s.WrongSeverity = append(s.WrongSeverity, Mismatch{Observer: observer, ID: e.ID, Rule: e.Rule, Want: e.Severity, Got: f.Severity})
		case !strings.Contains(f.Explanation, e.Explains):
			s.count(e.Rule, RuleScore{Found: 1})
			s.WrongExplanation = append(s.WrongExplanation, Mismatch{Observer: observer, ID: e.ID, Rule: e.Rule, Want: e.Severity, Got: f.Severity, Explains: e.Explains})
		default:
			s.count(e.Rule, RuleScore{Found: 1})
		}
	}
	for _, f := range got {
		if !wanted[f.ID] {
			s.count(f.Rule, RuleScore{FalseAlarms: 1})
			s.FalseAlarms = append(s.FalseAlarms, Mismatch{Observer: observer, ID: f.ID, Rule: f.Rule, Got: f.Severity})
		}
	}
	s.sort()
	return s
}

func (s *Score) count(rule string, r RuleScore) {
	if s.Rules == nil {
		s.Rules = map[string]RuleScore{}
	}
	have := s.Rules[rule]
	have.add(r)
	s.Rules[rule] = have
}

// Merge adds the counts and mismatches of o to s, as for another node.
func (s *Score) Merge(o Score) {
	for rule, r := range o.Rules {
		s.count(rule, r)
	}
	s.Missed = append(s.Missed, o.Missed...)
	s.FalseAlarms = append(s.FalseAlarms, o.FalseAlarms...)
	s.WrongSeverity = append(s.WrongSeverity, o.WrongSeverity...)
	s.WrongExplanation = append(s.WrongExplanation, o.WrongExplanation...)
	s.sort()
}

func (s *Score) sort() {
	for _, l := range [][]Mismatch{s.Missed, s.FalseAlarms, s.WrongSeverity, s.WrongExplanation} {
		slices.SortFunc(l, func(a, b Mismatch) int { return cmp.Or(cmp.Compare(a.Observer, b.Observer), cmp.Compare(a.ID, b.ID)) })
	}
}

// Total returns the counts over every rule.
func (s Score) Total() RuleScore {
	var t RuleScore
	for _, r := range s.Rules {
		t.add(r)
	}
	return t
}

// OK reports whether every expected finding was raised with its severity
// and explanation, and nothing else was.
func (s Score) OK() bool {
	return len(s.Missed) == 0 && len(s.FalseAlarms) == 0 && len(s.WrongSeverity) == 0 && len(s.WrongExplanation) == 0
}

// String formats the score as a table by rule, then the mismatches.
func (s Score) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %8s %6s %6s %12s\n", "rule", "expected", "found", "missed", "false alarms")
	rules := make([]string, 0, len(s.Rules))
	for r := range s.Rules {
		rules = append(rules, r)
	}
	slices.SortFunc(rules, compareRuleIDs)
	for _, r := range rules {
		c := s.Rules[r]
		fmt.Fprintf(&b, "%-5s %8d %6d %6d %12d\n", r, c.Expected, c.Found, c.Missed, c.FalseAlarms)
	}
	t := s.Total()
	fmt.Fprintf(&b, "%-5s %8d %6d %6d %12d\n", "all", t.Expected, t.Found, t.Missed, t.FalseAlarms)
	for _, m := range s.Missed {
		fmt.Fprintf(&b, "missed at %s: %s (%s)\n", m.Observer, m.ID, m.Want)
	}
	for _, m := range s.FalseAlarms {
		fmt.Fprintf(&b, "false alarm at %s: %s (%s)\n", m.Observer, m.ID, m.Got)
	}
	for _, m := range s.WrongSeverity {
		fmt.Fprintf(&b, "wrong severity at %s: %s is %s, want %s\n", m.Observer, m.ID, m.Got, m.Want)
	}
	for _, m := range s.WrongExplanation {
		fmt.Fprintf(&b, "wrong explanation at %s: %s does not say %q\n", m.Observer, m.ID, m.Explains)
	}
	return b.String()
}

// compareRuleIDs orders "R2" before "R10".
func compareRuleIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}
