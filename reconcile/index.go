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
// is changed in place (State.apply), so the groups hold pointers. A group
// is a list, and each held finding knows its place in the list of each
// of its three groups (held.at), so that dropping one costs no search:
// some 30 bytes per finding where three sets of pointers took some 85
// (BenchmarkStateMemory).
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

// heldSet is the findings of a group, sorted by id when sorted is set.
// A member's place in list is held.at[by-1], by the group's kind.
type heldSet struct {
	list   []*held
	sorted bool
}

func newFindingIndex() findingIndex {
	return findingIndex{groups: map[indexKey]*heldSet{}, counts: map[ruleSeverity]int{}}
}

// keys returns the groups of h, the group of kind by at index by-1.
func (h *held) keys() [3]indexKey {
	return [3]indexKey{{by: byPartner, partner: h.partner}, {by: byPeriod, period: h.period},
		{by: byBoth, partner: h.partner, period: h.period}}
}

func (h *held) count() ruleSeverity { return ruleSeverity{h.rule, h.severity} }

// put indexes h, a finding new to the index.
func (x *findingIndex) put(h *held) {
	for i, k := range h.keys() {
		g := x.groups[k]
		if g == nil {
			g = &heldSet{}
			x.groups[k] = g
		}
		h.at[i] = int32(len(g.list))
		g.list = append(g.list, h)
		g.sorted = len(g.list) == 1
	}
	x.counts[h.count()]++
}

// drop removes h from the index: the last of each of its groups takes
// its place.
func (x *findingIndex) drop(h *held) {
	for i, k := range h.keys() {
		g := x.groups[k]
		j, last := h.at[i], int32(len(g.list)-1)
		if j != last {
			moved := g.list[last]
			g.list[j], moved.at[i] = moved, j
			g.sorted = false
		}
		g.list[last] = nil
		g.list = g.list[:last]
		if len(g.list) == 0 {
			delete(x.groups, k)
		}
	}
	c := h.count()
	if x.counts[c]--; x.counts[c] == 0 {
		delete(x.counts, c)
	}
}

// sorted returns the findings of group k by id (nil for an empty group).
// The list is the group's own: the caller must not keep it past the
// next change of the index.
func (x *findingIndex) sorted(k indexKey) []*held {
	g := x.groups[k]
	if g == nil {
		return nil
	}
	if !g.sorted {
		sortHeld(g.list)
		for j, h := range g.list {
			h.at[k.by-1] = int32(j)
		}
		g.sorted = true
	}
	return g.list
}

func sortHeld(hs []*held) {
	slices.SortFunc(hs, func(a, b *held) int { return strings.Compare(a.id, b.id) })
}
