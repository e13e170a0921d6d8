package reconcile

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Scope narrows [State.Each] to the findings of one rule, partner or
// period, or of a partner and a period.
type Scope struct {
	Prefix    string // only ids starting with this, such as "R2/"; empty for all
	Partner   string // only findings about this partner; empty for every partner
	NoPartner bool   // only findings that name no partner (none if Partner is set too)
	Period    string // only findings of this period, as [State.Period]; empty for all
}

// FindingCount is how many current findings one rule raised at one
// severity.
type FindingCount struct {
	Rule     string   // as Finding.Rule: "R2"
	Severity Severity // as Finding.Severity
	Count    int
}

// Each calls fn with the head of every current finding at time now that
// sc selects and whose id sorts after after (from the first when after is
// empty), in id order, until fn returns false: its ID, Rule, RuleName,
// Severity and Partner, the rest left empty, so that counting findings by
// group describes none of them. fn must neither keep nor modify f; it may
// call [State.Period] and [State.Finding], nothing else of the State. now
// becomes the clock, as in [State.Findings].
//
// The ids are kept sorted between changes of the set of findings, in all
// and by partner, by period and by both (findingIndex), so that a page
// costs what it reads, not what the State holds: after a finding came or
// went, the next call sorts again the ids of the group it reads (about
// 60 ms for 200,000 findings, docs/performance.md "Findings at scale").
func (s *State) Each(now time.Time, sc Scope, after string, fn func(f *Finding) bool) {
	s.advance(now)
	s.commit()
	ids := s.scopeIDs(sc)
	i := sort.SearchStrings(ids, sc.Prefix)
	if after > sc.Prefix {
		i = sort.Search(len(ids), func(j int) bool { return ids[j] > after })
	}
	for ; i < len(ids) && strings.HasPrefix(ids[i], sc.Prefix); i++ {
		if f := s.active[ids[i]].head(); !fn(&f) {
			return
		}
	}
}

// scopeIDs returns the sorted ids of the current findings of sc's
// partner and period, whatever their rule.
func (s *State) scopeIDs(sc Scope) []string {
	byPartner := sc.Partner != "" || sc.NoPartner
	switch {
	case sc.Partner != "" && sc.NoPartner:
		return nil
	case byPartner && sc.Period != "":
		return s.index.sorted(pairKey(sc.Partner, sc.Period))
	case byPartner:
		return s.index.sorted(partnerKey(sc.Partner))
	case sc.Period != "":
		return s.index.sorted(periodKey(sc.Period))
	}
	return s.sortedIDs()
}

// Counts returns how many current findings at time now each rule raised
// at each severity, sorted by rule number, then by severity. It costs the
// number of groups, not of findings. now becomes the clock, as in
// [State.Findings].
func (s *State) Counts(now time.Time) []FindingCount {
	s.advance(now)
	s.commit()
	out := make([]FindingCount, 0, len(s.index.counts))
	for k, n := range s.index.counts {
		out = append(out, FindingCount{Rule: k.rule, Severity: k.severity, Count: n})
	}
	slices.SortFunc(out, func(a, b FindingCount) int {
		return cmp.Or(cmp.Compare(ruleNumber(a.Rule), ruleNumber(b.Rule)), strings.Compare(a.Rule, b.Rule),
			cmp.Compare(rank(a.Severity), rank(b.Severity)))
	})
	return out
}

// ruleNumber returns 9 for "R9", 0 for a rule not so named.
func ruleNumber(rule string) int { return ruleIndex(rule) + 1 }

// findingIndex keeps the ids of the current findings by partner, by
// period and by both, each group sorted when read, and counts them by
// rule and severity. The State changes it only through put and drop, as
// findings come, change and go.
type findingIndex struct {
	groups map[string]*idSet    // by partnerKey, periodKey and pairKey
	counts map[ruleSeverity]int // never holds a zero
}

type ruleSeverity struct {
	rule     string
	severity Severity
}

// idSet is a set of finding ids with their sorted list, made when read.
type idSet struct {
	ids    map[string]struct{}
	sorted []string // nil when an id came or went since the last read
}

func newFindingIndex() findingIndex {
	return findingIndex{groups: map[string]*idSet{}, counts: map[ruleSeverity]int{}}
}

// The keys of the groups: a partner ("" for the node's own statistics),
// a period, and both.
func partnerKey(partner string) string      { return "p" + partner }
func periodKey(period string) string        { return "q" + period }
func pairKey(partner, period string) string { return "b" + partner + "\x00" + period }
func (h *held) keys() [3]string {
	return [3]string{partnerKey(h.partner), periodKey(h.period), pairKey(h.partner, h.period)}
}
func (h *held) count() ruleSeverity { return ruleSeverity{h.Rule(), h.Severity()} }

// put indexes now, the held finding that replaces was (nil for a new
// one); it costs nothing when the partner, period, rule and severity stay.
func (x *findingIndex) put(was, now *held) {
	if was != nil && was.keys() == now.keys() && was.count() == now.count() {
		return
	}
	if was != nil {
		x.drop(was)
	}
	for _, k := range now.keys() {
		g := x.groups[k]
		if g == nil {
			g = &idSet{ids: map[string]struct{}{}}
			x.groups[k] = g
		}
		g.ids[now.id] = struct{}{}
		g.sorted = nil
	}
	x.counts[now.count()]++
}

// drop removes a held finding from the index.
func (x *findingIndex) drop(h *held) {
	for _, k := range h.keys() {
		g := x.groups[k]
		delete(g.ids, h.id)
		g.sorted = nil
		if len(g.ids) == 0 {
			delete(x.groups, k)
		}
	}
	c := h.count()
	if x.counts[c]--; x.counts[c] == 0 {
		delete(x.counts, c)
	}
}

// sorted returns the ids of group k in order (nil for an empty group).
func (x *findingIndex) sorted(k string) []string {
	g := x.groups[k]
	if g == nil {
		return nil
	}
	if g.sorted == nil {
		g.sorted = make([]string, 0, len(g.ids))
		for id := range g.ids {
			g.sorted = append(g.sorted, id)
		}
		slices.Sort(g.sorted)
	}
	return g.sorted
}
