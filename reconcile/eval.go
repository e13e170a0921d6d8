package reconcile

import (
	"strconv"
	"strings"
)

// ruleMask selects certificate rules: bit r for rule index r.
type ruleMask uint16

func bit(r int) ruleMask { return 1 << r }

const (
	// allSlotRules are R1–R8, the rules that evaluate one slot.
	allSlotRules ruleMask = 1<<(ruleUnitValue+1) - 1
	// docRules are the rules a confirmation or pre-notification bears on;
	// the others read the certificate alone, or notices, or the group.
	docRules = 1<<ruleMatch | 1<<ruleUnconfirmed | 1<<ruleUnknown | 1<<ruleDuplicate | 1<<ruleDates
)

// evalSlot runs the certificate rules of mask m on one slot. It returns
// their findings and, when m includes R2, the next time (Unix seconds) at
// which the clock alone may change them, 0 for never. With R8 it also
// keeps the slot's place among its groups' flagged slots.
func (s *State) evalSlot(sl *slot, m ruleMask) (out []Finding, next int64) {
	out, next = s.slotFindings(sl, m)
	if m&bit(ruleUnitValue) != 0 && !sl.empty() {
		s.flagOutliers(sl)
	}
	return out, next
}

// describeSlot returns the findings of the rules of mask m on one slot,
// changing nothing: what [State.finding] reads.
func (s *State) describeSlot(sl *slot, m ruleMask) []Finding {
	out, _ := s.slotFindings(sl, m)
	return out
}

func (s *State) slotFindings(sl *slot, m ruleMask) (out []Finding, next int64) {
	if sl.empty() {
		return nil, 0
	}
	if m&bit(ruleMatch) != 0 {
		out = s.checkMatch(sl, out)
	}
	if m&bit(ruleUnconfirmed) != 0 {
		out, next = s.checkUnconfirmed(sl, out)
	}
	if m&bit(ruleUnknown) != 0 {
		out = s.checkUnknown(sl, out)
	}
	if m&bit(ruleDuplicate) != 0 {
		out = s.checkDuplicate(sl, out)
	}
	if m&bit(ruleEligibility) != 0 {
		out = s.checkEligibility(sl, out)
	}
	if m&bit(ruleDates) != 0 {
		out = s.checkDates(sl, out)
	}
	if m&bit(ruleArithmetic) != 0 {
		out = s.checkArithmetic(sl, out)
	}
	if m&bit(ruleUnitValue) != 0 {
		out = s.checkUnitValue(sl, out)
	}
	return out, next
}

// applySlot replaces the slot's findings of the rules in m with fresh and
// keeps the others.
func (s *State) applySlot(sl *slot, m ruleMask, fresh []Finding) {
	if m == allSlotRules || len(sl.ids) == 0 {
		sl.ids = s.apply(sl.ids, fresh, sl, subjectKey{})
		return
	}
	var kept, old []string
	for _, id := range sl.ids {
		if m&bit(ruleIndex(id)) != 0 {
			old = append(old, id)
		} else {
			kept = append(kept, id)
		}
	}
	sl.ids = append(kept, s.apply(old, fresh, sl, subjectKey{})...)
}

// ruleIndex returns the rule index of a finding id, "R3/…" giving 2.
func ruleIndex(id string) int {
	n := 0
	for i := 1; i < len(id) && isDigit(id[i]); i++ {
		n = n*10 + int(id[i]-'0')
	}
	return n - 1
}

// slotPartner returns the partner of a finding about sl: the participant on
// the other side of the certificate from self.
func (s *State) slotPartner(sl *slot) string {
	return s.other(sl.issuer, sl.importer())
}

// slotFinding starts a finding of rule r about sl, with its records and
// the newest entry time.
func (s *State) slotFinding(r int, sl *slot, suffix string) Finding {
	f := newFinding(r, sl.name()+suffix, s.slotPartner(sl))
	f.Records = sl.refs()
	f.Since = sl.newest()
	return f
}

// certFinding starts a finding of rule r about the certificate of sl
// alone: its records are the certificate records only, so that a
// confirmation arriving does not change it (R5, R7, R8).
func (s *State) certFinding(r int, sl *slot, suffix string) Finding {
	f := newFinding(r, sl.name()+suffix, s.slotPartner(sl))
	for _, c := range sl.certs {
		f.Records = append(f.Records, refOf(c))
		f.Since = latest(f.Since, c.when())
	}
	return f
}

// problems collects the reasons of a finding, joined into its explanation.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, sprintf(format, args...)) }

func (p problems) String() string { return strings.Join(p, "; ") }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
