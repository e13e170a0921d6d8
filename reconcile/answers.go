package reconcile

import (
	"slices"
)

// Findings answered by annual reports: an annual report lists in its
// "resolves" the ids of the findings it answers; a finding shows the
// current reports that cite it. Only current reports count: a withdrawn
// report answers nothing, a correction answers what it lists.

// putAnswers indexes (add) or forgets the findings report r resolves.
func (s *State) putAnswers(r *rec, add bool) {
	for _, id := range r.report().Resolves {
		if add {
			s.answers[id] = append(s.answers[id], r)
			continue
		}
		if rs := slices.DeleteFunc(s.answers[id], func(x *rec) bool { return x == r }); len(rs) > 0 {
			s.answers[id] = rs
		} else {
			delete(s.answers, id)
		}
	}
}

// AnsweredBy returns the current annual reports that cite finding id as
// resolved, in feed order; nil when none does. The finding need not be
// current: a report may answer a finding that has since cleared.
func (s *State) AnsweredBy(id string) []RecordRef {
	rs := slices.Clone(s.answers[id])
	if len(rs) == 0 {
		return nil
	}
	sortRecs(rs)
	out := make([]RecordRef, len(rs))
	for i, r := range rs {
		out[i] = refOf(r)
	}
	return out
}
