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
// The findings are kept sorted by id between changes of the set, in all
// and by partner, by period and by both (findingIndex), so that a page
// costs what it reads, not what the State holds: after a finding came or
// went, the next call sorts again the ids of the group it reads (about
// 60 ms for 200,000 findings, docs/performance.md "Findings at scale").
func (s *State) Each(now time.Time, sc Scope, after string, fn func(f *Finding) bool) {
	s.advance(now)
	s.commit()
	hs := s.scopeHeld(sc)
	i := sort.Search(len(hs), func(j int) bool { return hs[j].id >= sc.Prefix })
	if after > sc.Prefix {
		i = sort.Search(len(hs), func(j int) bool { return hs[j].id > after })
	}
	for ; i < len(hs) && strings.HasPrefix(hs[i].id, sc.Prefix); i++ {
		if f := s.head(hs[i]); !fn(&f) {
			return
		}
	}
}

// scopeHeld returns the current findings of sc's partner and period,
// whatever their rule, sorted by id.
func (s *State) scopeHeld(sc Scope) []*held {
	partnered := sc.Partner != "" || sc.NoPartner
	partner, ok1 := s.names.lookup(sc.Partner)
	period, ok2 := s.names.lookup(sc.Period)
	switch {
	case sc.Partner != "" && sc.NoPartner, !ok1, !ok2:
		return nil
	case partnered && sc.Period != "":
		return s.index.sorted(indexKey{by: byBoth, partner: partner, period: period})
	case partnered:
		return s.index.sorted(indexKey{by: byPartner, partner: partner})
	case sc.Period != "":
		return s.index.sorted(indexKey{by: byPeriod, period: period})
	}
	return s.sortedHeld()
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
		out = append(out, FindingCount{Rule: ruleTable[k.rule].ID, Severity: severities[k.severity], Count: n})
	}
	slices.SortFunc(out, func(a, b FindingCount) int {
		return cmp.Or(cmp.Compare(ruleNumber(a.Rule), ruleNumber(b.Rule)), strings.Compare(a.Rule, b.Rule),
			cmp.Compare(rank(a.Severity), rank(b.Severity)))
	})
	return out
}

// ruleNumber returns 9 for "R9", 0 for a rule not so named.
func ruleNumber(rule string) int { return ruleIndex(rule) + 1 }

// findingIndex keeps the current findings by partner, by period and by
// both, each group sorted by id when read, and counts them by rule and
// severity. The State changes it only through put and drop, as findings
// come and go or change group; a held finding that stays in its groups
// is changed in place (State.apply), so the sets hold pointers.
type findingIndex struct {
	groups map[indexKey]*heldSet
	counts map[ruleSeverity]int // never holds a zero
}

// indexKey names a group: a partner ("" for the node's own statistics),
// a period, or both, each by its number in the State's names.
type indexKey struct {
	by              uint8 // byPartner, byPeriod or byBoth
	partner, period uint32
}

const (
	byPartner = iota + 1
	byPeriod
	byBoth
)

type ruleSeverity struct{ rule, severity uint8 }

// heldSet is a set of held findings with their list sorted by id, made
// when read.
type heldSet struct {
	members map[*held]struct{}
	sorted  []*held // nil when a finding came or went since the last read
}

func newFindingIndex() findingIndex {
	return findingIndex{groups: map[indexKey]*heldSet{}, counts: map[ruleSeverity]int{}}
}

func (h *held) keys() [3]indexKey {
	return [3]indexKey{{by: byPartner, partner: h.partner}, {by: byPeriod, period: h.period},
		{by: byBoth, partner: h.partner, period: h.period}}
}

func (h *held) count() ruleSeverity { return ruleSeverity{h.rule, h.severity} }

// put indexes h, a finding new to the index.
func (x *findingIndex) put(h *held) {
	for _, k := range h.keys() {
		g := x.groups[k]
		if g == nil {
			g = &heldSet{members: map[*held]struct{}{}}
			x.groups[k] = g
		}
		g.members[h] = struct{}{}
		g.sorted = nil
	}
	x.counts[h.count()]++
}

// drop removes h from the index.
func (x *findingIndex) drop(h *held) {
	for _, k := range h.keys() {
		g := x.groups[k]
		delete(g.members, h)
		g.sorted = nil
		if len(g.members) == 0 {
			delete(x.groups, k)
		}
	}
	c := h.count()
	if x.counts[c]--; x.counts[c] == 0 {
		delete(x.counts, c)
	}
}

// sorted returns the findings of group k by id (nil for an empty group).
func (x *findingIndex) sorted(k indexKey) []*held {
	g := x.groups[k]
	if g == nil {
		return nil
	}
	if g.sorted == nil {
		g.sorted = make([]*held, 0, len(g.members))
		for h := range g.members {
			g.sorted = append(g.sorted, h)
		}
		sortHeld(g.sorted)
	}
	return g.sorted
}

func sortHeld(hs []*held) {
	slices.SortFunc(hs, func(a, b *held) int { return strings.Compare(a.id, b.id) })
}
