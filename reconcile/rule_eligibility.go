package reconcile

import "slices"

// R5 eligibility: on the certificate's issue date, the issuer, the
// destination and every origin must be active participants (listed, and not
// suspended or removed, as the participant list of that date says), and no
// origin may be under an enhanced-vigilance notice in force (warning).
func (s *State) checkEligibility(sl *slot, out []Finding) []Finding {
	cr := sl.canonicalCert()
	if cr == nil {
		return out
	}
	c := cr.cert()
	var why problems
	var notices []*rec
	var lists []RecordRef // participant_update records or notices behind a standing
	severity := Warning
	ineligible := func(role, code string) {
		st := s.standingOn(code, c.issued())
		if st.active() {
			return
		}
		severity = Critical
		if !st.listed {
			why.add("%s %s is not a listed participant", role, code)
			return
		}
		why.add("%s %s was %s on %s%s", role, code, st.status, c.issued(), st.decision())
		if ref, ok := st.listRef(); ok && !slices.Contains(lists, ref) {
			lists = append(lists, ref)
		}
	}
	ineligible("issuer", c.issuer())
	ineligible("destination", c.destination())
	for _, o := range c.origin() {
		if o == originMixed {
			continue
		}
		ineligible("origin", o)
		for _, r := range s.vigilanceOn(o, c.issued()) {
			v := r.notice().EnhancedVigilance
			area := ""
			if v.Area != "" {
				area = " (" + v.Area + ")"
			}
			why.add("origin %s%s is under enhanced vigilance from %s", o, area, v.From)
			notices = appendUnique(notices, r)
		}
	}
	if len(why) == 0 {
		return out
	}
	f := s.certFinding(ruleEligibility, sl, "")
	f.Severity = severity
	for _, r := range notices {
		f.Records = append(f.Records, refOf(r))
		f.Since = latest(f.Since, r.when())
	}
	f.Records = append(f.Records, lists...)
	f.Numbers = map[string]string{"issued": c.issued().String()}
	f.Explanation = sprintf("%s: %s", sl.name(), why)
	return append(out, f)
}

func appendUnique(list []*rec, r *rec) []*rec {
	if r == nil || slices.Contains(list, r) {
		return list
	}
	return append(list, r)
}
