package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEachScopeEqualsFilter replays the rich record set in random orders,
// moving the clock, and checks at every step that a scoped Each lists
// exactly the findings that filtering the full list gives, in the same
// order, for random scopes and cursors; and that Counts counts them.
func TestEachScopeEqualsFilter(t *testing.T) {
	for seed := range uint64(3) {
		records := richRecords()
		rng := rand.New(rand.NewPCG(7, seed))
		rng.Shuffle(len(records), func(i, j int) { records[i], records[j] = records[j], records[i] })
		s := newState(t, []string{"IN", "BE", ""}[seed])
		now := at("2026-02-01")
		for i, r := range records {
			s.Add(r)
			if i%9 == 0 || i == len(records)-1 {
				now = now.Add(time.Duration(rng.IntN(20)) * 24 * time.Hour)
				checkScopes(t, s, now, rng)
			}
		}
	}
}

// checkScopes compares scoped listings with filtering Findings, for 40
// random scopes.
func checkScopes(t *testing.T, s *State, now time.Time, rng *rand.Rand) {
	t.Helper()
	all := s.Findings(now)
	period := map[string]string{}
	partners, periods, idList := []string{"", "ZZ"}, []string{"", "1999-Q1"}, []string{""}
	for _, f := range all {
		period[f.ID] = s.period(s.active[f.ID], f.Since) // afresh, not the kept one
		partners = append(partners, f.Partner)
		periods = append(periods, period[f.ID])
		idList = append(idList, f.ID)
	}
	checkCounts(t, s, now, all)
	for range 40 {
		sc := Scope{Partner: pick(rng, partners), Period: pick(rng, periods), NoPartner: rng.IntN(4) == 0,
			Prefix: pick(rng, []string{"", "", "R2/", "R9/", "R1", "R13/"})}
		after := pick(rng, idList)
		var want, got []string
		for _, f := range all {
			if f.ID > after && strings.HasPrefix(f.ID, sc.Prefix) && (sc.Partner == "" || f.Partner == sc.Partner) &&
				(!sc.NoPartner || f.Partner == "") && (sc.Period == "" || period[f.ID] == sc.Period) {
				want = append(want, f.ID)
			}
		}
		s.Each(now, sc, after, func(f *Finding) bool {
			if p := s.Period(f.ID); p != period[f.ID] {
				t.Errorf("Period(%s) = %q, want %q", f.ID, p, period[f.ID])
			}
			got = append(got, f.ID)
			return true
		})
		if !slices.Equal(got, want) {
			t.Fatalf("Each(%+v, after %q) at %s:\ngot  %q\nwant %q", sc, after, now.Format(time.DateOnly), got, want)
		}
	}
}

// checkCounts compares Counts with counting the full list.
func checkCounts(t *testing.T, s *State, now time.Time, all []Finding) {
	t.Helper()
	want := map[FindingCount]int{}
	for _, f := range all {
		want[FindingCount{Rule: f.Rule, Severity: f.Severity}]++
	}
	got := s.Counts(now)
	for _, c := range got {
		if n := want[FindingCount{Rule: c.Rule, Severity: c.Severity}]; n != c.Count {
			t.Errorf("Counts: %s %s: %d, want %d", c.Rule, c.Severity, c.Count, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Counts: %d groups, want %d: %+v", len(got), len(want), got)
	}
	if !slices.IsSortedFunc(got, func(a, b FindingCount) int { return ruleNumber(a.Rule) - ruleNumber(b.Rule) }) {
		t.Errorf("Counts not sorted by rule: %+v", got)
	}
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// TestFindingIndexKeepsItsGroups puts, drops and moves held findings at
// random and checks after each step that every group read holds exactly
// its findings, sorted by id, and that every finding knows its place in
// each of its groups: dropping one moves the last of its group into its
// place, and a wrong place would drop another finding.
func TestFindingIndexKeepsItsGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	x := newFindingIndex()
	in := map[string]*held{}
	for step := range 5000 {
		id := fmt.Sprintf("R%d/%03d", 1+rng.IntN(3), rng.IntN(200))
		h := in[id]
		switch {
		case h == nil:
			h = &held{id: id, partner: uint32(rng.IntN(4)), period: uint32(rng.IntN(4))}
			in[id] = h
			x.put(h)
		case rng.IntN(3) == 0: // a new group, as apply moves it
			x.drop(h)
			h.partner, h.period = uint32(rng.IntN(4)), uint32(rng.IntN(4))
			x.put(h)
		default:
			x.drop(h)
			delete(in, id)
		}
		k := indexKey{by: uint8(1 + rng.IntN(3)), partner: uint32(rng.IntN(4)), period: uint32(rng.IntN(4))}
		switch k.by {
		case byPartner:
			k.period = 0
		case byPeriod:
			k.partner = 0
		}
		var want []string
		for _, h := range in {
			if keys := h.keys(); slices.Contains(keys[:], k) {
				want = append(want, h.id)
			}
		}
		slices.Sort(want)
		var got []string
		for _, h := range x.sorted(k) {
			got = append(got, h.id)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: group %+v holds %q, want %q", step, k, got, want)
		}
		for _, h := range in {
			for i, hk := range h.keys() {
				if g := x.groups[hk]; g == nil || g.list[h.at[i]] != h {
					t.Fatalf("step %d: %s is not at its place %d in group %+v", step, h.id, h.at[i], hk)
				}
			}
		}
	}
}
