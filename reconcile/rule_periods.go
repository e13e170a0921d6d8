package reconcile

import (
	"github.com/kpnode/kpnode/protocol"
)

// coveredByEU reports whether reporter's statistics for q came at the
// other level of the EU: a member state's in a Union submission, the
// Union's in a member authority's.
func (s *State) coveredByEU(reporter string, q protocol.Quarter) bool {
	switch {
	case reporter == "EU":
		return s.euSubs[q] > 0
	case isEUMember(reporter):
		return s.submitted("EU", q)
	}
	return false
}

// R11 period-over-period, in two parts.
//
// Change ("R11/<reporter>/<flow>/<partner>/<quarter>/<hs>", info): a
// reporter's figure (carats or value) for a partner and HS code moved by
// more than period_change_pct against the previous quarter, both quarters
// submitted. A figure that was zero has no base and is not judged.
//
// Missing ("R11/<reporter>/<quarter>/missing", warning): a reporter that has
// submitted statistics before has none for a quarter
// statistics_due_months after the quarter ended. Either is the occasion for
// an anomaly query; see [State.DraftQuery].
func (s *State) checkChange(k subjectKey) []Finding {
	prevQ := k.q.Prev()
	if !s.unionSubmitted(k.a, k.q) || !s.unionSubmitted(k.a, prevQ) || s.skipLevel(k.a, k.b, k.flow, prevQ, 2, k.hs, false, nil) {
		return nil
	}
	cur := s.unionCell(cellKey{k.a, k.b, k.flow, k.q, k.hs})
	prev := s.unionCell(cellKey{k.a, k.b, k.flow, prevQ, k.hs})
	if prev.carats == 0 && prev.value == 0 {
		return nil
	}
	lim := s.cfg.PeriodChangePct
	if !exceeds(absDiff(cur.carats, prev.carats), prev.carats, lim) && !exceeds(absDiff(cur.value, prev.value), prev.value, lim) {
		return nil
	}
	f := newFinding(rulePeriods, k.a+"/"+flowName(k.flow)+"/"+k.b+"/"+k.q.String()+"/"+k.hs, s.other(k.a, k.b))
	f.Records, f.Since = statRefs(append(prev.rows, cur.rows...))
	f.Numbers = map[string]string{
		"previous_carats": protocol.Carats(prev.carats).String(), "carats": protocol.Carats(cur.carats).String(),
		"previous_value_usd": protocol.USD(prev.value).String(), "value_usd": protocol.USD(cur.value).String(),
		"carats_change_pct": pctOf(cur.carats-prev.carats, prev.carats),
		"value_change_pct":  pctOf(cur.value-prev.value, prev.value),
		"threshold_pct":     lim.String(),
	}
	f.Explanation = sprintf("%s's %s %s %s %s changed %s %% in carats and %s %% in value against %s",
		k.a, flowName(k.flow)+"s", toFrom(k.flow), k.b, k.q, f.Numbers["carats_change_pct"], f.Numbers["value_change_pct"], prevQ)
	if k.hs != "" {
		f.Explanation += " (" + k.hs + ")"
	}
	return []Finding{f}
}

func (s *State) checkMissing(k subjectKey) []Finding {
	first := s.firstQuarter(k.a)
	if s.dueQ.IsZero() || first.IsZero() || k.q.Compare(first) < 0 || k.q.Compare(s.dueQ) > 0 || s.submitted(k.a, k.q) ||
		s.coveredByEU(k.a, k.q) {
		return nil
	}
	partner := k.a
	if sameAuthority(k.a, s.self) {
		partner = ""
	}
	due := dueDate(k.q, s.cfg.StatisticsDueMonths)
	f := newFinding(rulePeriods, k.a+"/"+k.q.String()+"/missing", partner)
	f.Severity = Warning
	f.Since = due
	f.Numbers = map[string]string{"due": protocol.DateOf(due).String(), "first_quarter": first.String()}
	f.Explanation = sprintf("%s has submitted no statistics for %s, due %s", k.a, k.q, protocol.DateOf(due))
	return []Finding{f}
}
