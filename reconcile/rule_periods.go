package reconcile

import (
	"github.com/kpnode/kpnode/protocol"
)

// R11 period-over-period, in two parts: missing submissions
// (rule_missing.go) and changes.
//
// Change ("R11/<reporter>/<flow>/<partner>/<quarter>/<hs>", info): a
// reporter's figure (carats or value) for a partner and HS code moved by
// more than period_change_pct against the previous quarter, both quarters
// submitted. A figure that was zero has no base and is not judged.
//
// A change, like a missing submission, is the occasion for an anomaly
// query; see [State.DraftQuery].
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
