package reconcile

import (
	"slices"
	"sync"

	"github.com/kpnode/kpnode/protocol"
)

// The EU is one participant in KP statistics, trading through the Union
// authorities of its member states, which may each run a node and report
// their own statistics. A partner may report its trade with them under
// "EU" or under the member state. The statistics rules (R9, R10, R11)
// therefore compare a trade with the Union at one of two levels:
//
//   - member level, as reported, when neither side used "EU" for the
//     cell: BE's exports to IN against IN's imports from BE;
//   - Union level, when "EU" was used for it: for R9 by either side, for
//     R10 and R11 (which judge one reporter's own figures) by the reporter,
//     and for R10 also by a certificate addressed to "EU". Every EU code
//     then counts as "EU", so IN's imports from EU are
//     compared with the sum of the exports to IN of every EU authority
//     whose statistics are here. The member-level subjects of that cell
//     then raise nothing, so the same goods are never judged twice.
//
// Findings at Union level carry "EU" in their id ("R9/EU/IN/2023-Q2/…").

// euCodes returns "EU" and the codes of the member states with a Union
// authority, sorted.
var euCodes = sync.OnceValue(func() []string {
	out := []string{"EU"}
	for _, p := range protocol.Participants() {
		if p.Kind == protocol.KindEUMemberState {
			out = append(out, p.Code)
		}
	}
	slices.Sort(out)
	return out
})

// euSide reports whether code is the EU or one of its member states.
func euSide(code string) bool { return code == "EU" || isEUMember(code) }

// unionPair reports whether exactly one of a and b is on the EU side, and
// so whether their trade has a Union level.
func unionPair(a, b string) bool { return euSide(a) != euSide(b) }

// toUnion replaces the EU-side code of a and b by "EU".
func toUnion(a, b string) (string, string) {
	if euSide(a) {
		return "EU", b
	}
	return a, "EU"
}

// memberTwins returns the member-level versions of a Union pair: "EU"
// replaced by each member state's code.
func memberTwins(a, b string) [][2]string {
	var out [][2]string
	for _, c := range euCodes() {
		if c == "EU" {
			continue
		}
		if a == "EU" {
			out = append(out, [2]string{c, b})
		} else {
			out = append(out, [2]string{a, c})
		}
	}
	return out
}

// twins returns the other level's versions of a pair: the Union pair for
// a member-level one, the member-level pairs for a Union one; nil when the
// pair has no Union level.
func twins(a, b string) [][2]string {
	if !unionPair(a, b) {
		return nil
	}
	if a == "EU" || b == "EU" {
		return memberTwins(a, b)
	}
	ua, ub := toUnion(a, b)
	return [][2]string{{ua, ub}}
}

// expand returns the codes a statistics code stands for: every EU code
// for "EU", else the code itself.
func expand(code string) []string {
	if code == "EU" {
		return euCodes()
	}
	return []string{code}
}

// unionCell returns the figures of k, where "EU" as reporter or partner
// sums the rows of every EU code.
func (s *State) unionCell(k cellKey) figures {
	if k.reporter != "EU" && k.partner != "EU" {
		return s.cell(k)
	}
	var f figures
	for _, r := range expand(k.reporter) {
		for _, p := range expand(k.partner) {
			f.plus(s.cell(cellKey{r, p, k.flow, k.q, k.hs}))
		}
	}
	return f
}

// unionSubmitted reports whether reporter submitted q; for "EU", whether
// any EU authority did.
func (s *State) unionSubmitted(reporter string, q protocol.Quarter) bool {
	if reporter != "EU" {
		return s.submitted(reporter, q)
	}
	return s.euSubs[q] > 0
}

// unionRows reports whether reporter's row of flow with partner was
// reported at Union level in q, or, with mirror, the partner's row of the
// opposite flow.
func (s *State) unionRows(reporter, partner string, flow uint8, q protocol.Quarter, hs string, mirror bool) bool {
	ua, ub := toUnion(reporter, partner)
	return len(s.stats[cellKey{ua, ub, flow, q, hs}]) > 0 || mirror && len(s.stats[cellKey{ub, ua, 3 - flow, q, hs}]) > 0
}

// skipLevel reports whether a statistics subject about reporter and
// partner is at the wrong level for quarters from..from+n-1 (see above):
// a member-level subject when the Union level was used in one of them, a
// Union subject when it was not. Uses are the reporter's own rows, and
// with mirror (R9) the partner's mirror rows; extra reports more uses for
// a quarter (R10's certificates addressed to "EU").
func (s *State) skipLevel(reporter, partner string, flow uint8, from protocol.Quarter, n int, hs string, mirror bool, extra func(protocol.Quarter) bool) bool {
	if !unionPair(reporter, partner) {
		return false
	}
	used := false
	q := from
	for range n {
		if s.unionRows(reporter, partner, flow, q, hs, mirror) || extra != nil && extra(q) {
			used = true
			break
		}
		q = q.Next()
	}
	union := reporter == "EU" || partner == "EU"
	return used != union
}
