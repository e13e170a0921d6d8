package reconcile

import (
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// A participant_status_change notice is not read here: it is the older
// encoding of a participant-list update, and the node turns it into one
// when its author is trusted for the list (node/membership.go), so that
// eligibility has one source, the list given by SetMembership. Of the
// notices, R5 reads enhanced vigilance only.

func (s *State) insertNotice(r *rec) {
	n := r.notice()
	if n.Kind == protocol.NoticeEnhancedVigilance && n.EnhancedVigilance != nil {
		o := n.EnhancedVigilance.Origin
		s.vigilance[o] = insertByDate(s.vigilance[o], r, vigilanceFrom)
		s.touchParticipant(o)
	}
}

func (s *State) removeNotice(r *rec) {
	n := r.notice()
	if n.Kind == protocol.NoticeEnhancedVigilance && n.EnhancedVigilance != nil {
		o := n.EnhancedVigilance.Origin
		s.vigilance[o] = removeRec(s.vigilance[o], r)
		s.touchParticipant(o)
	}
}

// touchParticipant schedules every slot that names code as issuer,
// destination or origin; for the EU, those of its member-state authorities
// too. Notices are rare (a few a year), so they walk all certificates
// rather than every certificate paying for an index by participant.
func (s *State) touchParticipant(code string) {
	codes := []string{code}
	if code == "EU" {
		codes = append(codes, s.membership().EUMemberStates()...)
	}
	s.eachSlot(func(sl *slot) {
		if slices.ContainsFunc(codes, sl.involves) {
			s.touchSlot(sl, bit(ruleEligibility))
		}
	})
}

func vigilanceFrom(r *rec) protocol.Date { return r.notice().EnhancedVigilance.From }

// insertByDate keeps notices sorted by date, then by position.
func insertByDate(list []*rec, r *rec, date func(*rec) protocol.Date) []*rec {
	i, _ := slices.BinarySearchFunc(list, r, func(a, b *rec) int {
		if c := dateCmp(date(a), date(b)); c != 0 {
			return c
		}
		return compareRecs(a, b)
	})
	return slices.Insert(list, i, r)
}

// standing is whether a participant may trade on a date, and why not.
type standing struct {
	listed bool
	status string                     // the list's status when not active, "" when active
	change *protocol.MembershipChange // the list's change that set status, nil for none (membership.go)
}

func (st standing) active() bool { return st.listed && st.status == "" }

// standingOn returns code's standing on date d, as the list (as of d)
// gives it. An EU member-state authority also takes the EU's standing.
func (s *State) standingOn(code string, d protocol.Date) standing {
	_, euMember := s.participant(code)
	st := s.listStanding(code, d)
	if st.active() && euMember {
		if eu := s.standingOn("EU", d); !eu.active() {
			return eu
		}
	}
	return st
}

// vigilanceOn returns the enhanced-vigilance notices on origin in force on d.
func (s *State) vigilanceOn(origin string, d protocol.Date) []*rec {
	var out []*rec
	if len(s.vigilance) == 0 {
		return nil
	}
	for _, r := range s.vigilance[origin] {
		v := r.notice().EnhancedVigilance
		if dateBefore(d, v.From) {
			break
		}
		if v.To.IsZero() || !dateBefore(v.To, d) {
			out = append(out, r)
		}
	}
	return out
}

// participant reports whether code is in the built-in participant list
// and whether it is an EU member-state authority (in the built-in list, or
// joined as one by the list in use: the EU acts for it whatever the date,
// and before it joins or after it leaves it is not active anyway), through
// a small cache that SetMembership empties: a node's certificates name the
// same few participants again and again.
func (s *State) participant(code string) (listed, euMember bool) {
	for i := range s.partCache {
		if e := &s.partCache[i]; e.code == code && code != "" {
			return e.listed, e.euMember
		}
	}
	p, listed := protocol.LookupParticipant(code)
	euMember = listed && p.Kind == protocol.KindEUMemberState
	if m := s.membership(); !euMember && m.Changed(code) {
		euMember = slices.ContainsFunc(m.History(code), func(c protocol.MembershipChange) bool { return c.Update.Kind == protocol.KindEUMemberState })
	}
	s.partCache[s.partNext%len(s.partCache)] = participantInfo{code, listed, euMember}
	s.partNext++
	return listed, euMember
}

type participantInfo struct {
	code             string
	listed, euMember bool
}
