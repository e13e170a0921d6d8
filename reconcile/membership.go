package reconcile

import (
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// SetMembership replaces the participant list the rules read (nil: the
// built-in list) and re-checks the certificates that name a participant
// whose history changed, as [State.Add] does for a record: it returns the
// findings raised or changed and the ids of those cleared. Every rule
// reads the list as of the date of the record it judges (R5: the
// certificate's issue date), so certificates issued before a removal
// keep reconciling as before and later ones are flagged, with the
// decision named.
func (s *State) SetMembership(m *protocol.Membership) (changed []Finding, cleared []string) {
	if m == nil {
		m = protocol.BuiltinMembership()
	}
	old := s.membership()
	s.members = m
	s.partCache = [len(s.partCache)]participantInfo{} // EU membership may have changed
	for _, code := range changedCodes(old, m) {
		s.touchParticipant(code)
		for _, ob := range obligations {
			s.touchMissing(code, ob) // the periods it owes
		}
	}
	return s.commit()
}

// membership returns the list the rules read.
func (s *State) membership() *protocol.Membership {
	if s.members == nil {
		return protocol.BuiltinMembership()
	}
	return s.members
}

// changedCodes returns the codes whose history differs between a and b.
func changedCodes(a, b *protocol.Membership) []string {
	var out []string
	for _, code := range slices.Concat(a.Codes(), b.Codes()) {
		if !slices.Contains(out, code) && !slices.EqualFunc(a.History(code), b.History(code), sameChange) {
			out = append(out, code)
		}
	}
	return out
}

func sameChange(x, y protocol.MembershipChange) bool { return x == y }

// listStanding returns code's standing on d according to the participant
// list: not listed (never, or not yet, joined), or listed with the
// status the list gives, and the change that set it.
func (s *State) listStanding(code string, d protocol.Date) standing {
	m := s.membership()
	if !m.Changed(code) { // the built-in entry on every date: the cached lookup
		listed, _ := s.participant(code)
		return standing{listed: listed}
	}
	status, set, known := m.StatusOn(code, d)
	st := standing{listed: known && status != protocol.StatusNotJoined, change: set}
	if st.listed && status != protocol.StatusActive {
		st.status = status
	}
	return st
}

// decision describes the list change behind a standing, " (Plenary
// 2011, Final Communiqué ¶6; partner KP's record seq 4)", or "" when
// nothing set it.
func (st standing) decision() string {
	if st.change == nil {
		return ""
	}
	return " (" + st.change.Update.Decision + "; " + st.change.Source.String() + ")"
}

// listRef returns the reference of the participant_update record or
// status-change notice behind a standing, if a partner's record set it.
func (st standing) listRef() (RecordRef, bool) {
	if st.change == nil {
		return RecordRef{}, false
	}
	src := st.change.Source
	switch src.Kind {
	case protocol.SourceRecord:
		return RecordRef{Feed: src.Partner, Seq: src.Seq, Type: protocol.ParticipantUpdateType}, true
	case protocol.SourceNotice:
		return RecordRef{Feed: src.Partner, Seq: src.Seq, Type: protocol.NoticeType}, true
	}
	return RecordRef{}, false
}
