package reconcile

import (
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// R11 missing submissions ("R11/<reporter>/<obligation slug>/missing",
// warning): one finding per participant and obligation (trade statistics,
// production statistics, annual report) listing every period it owes
// (see [State.owedFrom]; by the participant list, the periods it was a
// participant in, [State.owes]) that has no current submission once the period's
// due date and grace have passed. Since is when the oldest of them became
// missing. It replaces one warning per quarter: a partner three quarters
// behind is one thing to chase, not three.
func (s *State) checkMissing(k subjectKey) []Finding {
	ob := Obligation(k.flow)
	missing := s.missingPeriods(k.a, ob)
	if len(missing) == 0 {
		return nil
	}
	months, grace := s.cfg.deadline(ob)
	partner := k.a
	if sameAuthority(k.a, s.self) {
		partner = ""
	}
	names := make([]string, len(missing))
	for i, p := range missing {
		names[i] = p.String()
	}
	oldest := missing[0]
	f := newFinding(rulePeriods, k.a+"/"+ob.slug()+"/missing", partner)
	f.Severity = Warning
	f.Since = oldest.missingAt(months, grace)
	f.Numbers = map[string]string{
		"obligation": ob.String(), "missing": strings.Join(names, " "), "missing_count": strconv.Itoa(len(missing)),
		"oldest_due": protocol.DateOf(oldest.dueAt(months)).String(), "grace_days": strconv.Itoa(grace),
	}
	f.Explanation = sprintf("%s has submitted no %s for %s, the oldest due %s", k.a, ob.noun(), listPeriods(names),
		f.Numbers["oldest_due"])
	return []Finding{f}
}

// missingPeriods returns the periods of ob reporter owes and has not
// submitted, whose grace has passed at the State's clock, oldest first.
func (s *State) missingPeriods(reporter string, ob Obligation) []period {
	from, ok := s.owedFrom(reporter, ob)
	if !ok || s.clock.IsZero() {
		return nil
	}
	var out []period
	for p := from; p.n <= s.calDue[ob].n; p = p.next() {
		if s.owes(reporter, p) && len(s.submittedRecs(reporter, p)) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// listPeriods returns "2011-Q3", "2011-Q3 and 2011-Q4" or
// "2011-Q1, 2011-Q2 and 2011-Q4 (3 periods)".
func listPeriods(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	const shown = 6
	if len(names) > shown {
		return strings.Join(names[:shown-1], ", ") + ", … and " + names[len(names)-1] + " (" + strconv.Itoa(len(names)) + " periods)"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " (" + strconv.Itoa(len(names)) + " periods)"
}
