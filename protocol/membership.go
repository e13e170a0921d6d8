package protocol

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Membership statuses of a participant on a date, the values of
// Member.Status.
const (
	StatusActive    = "active"     // listed and eligible to trade
	StatusSuspended = "suspended"  // listed, not eligible
	StatusRemoved   = "removed"    // no longer a participant
	StatusNotJoined = "not_joined" // joins later, or never joined
)

// Kinds of MembershipSource.
const (
	SourceBuiltIn = "built-in" // the list compiled into the binary
	SourceFile    = "file"     // applied by the operator from a file
	SourceRecord  = "record"   // a trusted partner's participant_update record
	SourceNotice  = "notice"   // a trusted partner's participant_status_change notice
)

// MembershipSource says where a change to the participant list came from.
type MembershipSource struct {
	Kind    string `json:"kind"`              // SourceBuiltIn, SourceFile, SourceRecord or SourceNotice
	File    string `json:"file,omitempty"`    // SourceFile: the file as the operator named it
	Row     int    `json:"row,omitempty"`     // SourceFile: its row, the header being row 1
	Partner string `json:"partner,omitempty"` // SourceRecord, SourceNotice: the author's participant code
	Seq     uint64 `json:"seq,omitempty"`     // SourceRecord, SourceNotice: the record's seq in the author's feed
}

// String describes s for people: "built-in", "file updates.csv row 2",
// "partner KP's record seq 12", "partner KP's notice seq 3".
func (s MembershipSource) String() string {
	switch s.Kind {
	case SourceFile:
		return fmt.Sprintf("file %s row %d", s.File, s.Row)
	case SourceRecord:
		return fmt.Sprintf("partner %s's record seq %d", s.Partner, s.Seq)
	case SourceNotice:
		return fmt.Sprintf("partner %s's notice seq %d", s.Partner, s.Seq)
	}
	return SourceBuiltIn
}

func (s MembershipSource) compare(t MembershipSource) int {
	return cmp.Or(cmp.Compare(s.Kind, t.Kind), cmp.Compare(s.Partner, t.Partner), cmp.Compare(s.Seq, t.Seq),
		cmp.Compare(s.File, t.File), cmp.Compare(s.Row, t.Row))
}

// MembershipChange is one applied participant-list update and where it
// came from.
type MembershipChange struct {
	Update ParticipantUpdate `json:"update"`
	Source MembershipSource  `json:"source"`
}

// compare orders changes by effective date, then by everything else, so
// that the order, and every view built from it, does not depend on the
// order in which the changes arrived.
func (c MembershipChange) compare(d MembershipChange) int {
	u, v := c.Update, d.Update
	return cmp.Or(u.Effective.Compare(v.Effective), c.Source.compare(d.Source),
		cmp.Compare(u.Change, v.Change), cmp.Compare(u.Name, v.Name), cmp.Compare(u.Kind, v.Kind),
		cmp.Compare(u.Authority, v.Authority), cmp.Compare(u.Decision, v.Decision))
}

// Member is one participant's entry in the list on a date.
type Member struct {
	Participant
	Authority string           `json:"authority,omitempty"`
	Status    string           `json:"status"`             // StatusActive, StatusSuspended, StatusRemoved or StatusNotJoined
	Since     Date             `json:"since,omitzero"`     // effective date of the change that set Status; zero for the built-in list
	Decision  string           `json:"decision,omitempty"` // the decision that change follows
	Source    MembershipSource `json:"source"`             // where that change came from
}

// Active reports whether the member may trade: listed and neither
// suspended nor removed.
func (m Member) Active() bool { return m.Status == StatusActive }

// Membership is the participant list as data: the built-in list, which
// history starts from, and the changes applied since, each in force from
// its effective date. Every check that uses the list asks it as of a date.
// A Membership is immutable and safe for concurrent use.
type Membership struct {
	base    map[string]Participant
	changes map[string][]MembershipChange // by participant code, sorted by compare
	codes   []string                      // every code of base and changes, sorted
}

var builtinMembership = NewMembership(nil)

// BuiltinMembership returns the built-in list with no change applied.
func BuiltinMembership() *Membership { return builtinMembership }

// NewMembership returns the built-in list with changes applied. The
// result depends on the set of changes only, not on their order.
func NewMembership(changes []MembershipChange) *Membership {
	m := &Membership{base: make(map[string]Participant, len(participants)), changes: map[string][]MembershipChange{}}
	for _, p := range participants {
		m.base[p.Code] = p
	}
	for _, c := range changes {
		code := c.Update.Participant
		m.changes[code] = append(m.changes[code], c)
	}
	for _, cs := range m.changes {
		slices.SortFunc(cs, MembershipChange.compare)
	}
	m.codes = slices.Sorted(maps.Keys(m.base))
	for code := range m.changes {
		if _, ok := m.base[code]; !ok {
			m.codes = append(m.codes, code)
		}
	}
	slices.Sort(m.codes)
	return m
}

// On returns code's entry as of date d: the built-in entry with every
// change effective on or before d applied. ok is false for a code that
// neither the built-in list nor any change names. A change to a code
// that has not joined, other than joining, is kept in its history but
// changes nothing.
func (m *Membership) On(code string, d Date) (mb Member, ok bool) {
	p, listed := m.base[code]
	cs := m.changes[code]
	if !listed && cs == nil {
		return Member{}, false
	}
	mb = Member{Participant: p, Status: StatusNotJoined, Source: MembershipSource{Kind: SourceBuiltIn}}
	if listed {
		mb.Status = StatusActive
	}
	for _, c := range cs {
		if d.Before(c.Update.Effective) {
			break
		}
		mb = mb.apply(c)
	}
	mb.Code = code
	return mb, true
}

// StatusOn returns code's status on d and the change that set it (nil
// for the built-in list), as [Membership.On] gives them, without building
// the entry: the checks that only ask whether a participant was active
// call it for every record. ok is false for a code no list names.
func (m *Membership) StatusOn(code string, d Date) (status string, set *MembershipChange, ok bool) {
	_, listed := m.base[code]
	cs := m.changes[code]
	if !listed && cs == nil {
		return "", nil, false
	}
	status = StatusNotJoined
	if listed {
		status = StatusActive
	}
	for i := range cs {
		u := &cs[i].Update
		if d.Before(u.Effective) {
			break
		}
		if ignored(status, u.Change) {
			continue
		}
		status = statusAfter(status, u.Change)
		if u.Change != ChangeRenamed {
			set = &cs[i]
		}
	}
	return status, set, true
}

// ignored reports whether a change leaves an entry as it is: a change to
// a code that has not joined, other than joining, is kept in its history
// and changes nothing.
func ignored(status, change string) bool { return status == StatusNotJoined && change != ChangeJoined }

// statusAfter is the status a change leaves; a rename keeps it.
func statusAfter(status, change string) string {
	switch change {
	case ChangeJoined, ChangeReadmitted:
		return StatusActive
	case ChangeSuspended:
		return StatusSuspended
	case ChangeRemoved:
		return StatusRemoved
	}
	return status
}

// apply returns mb with change c applied.
func (mb Member) apply(c MembershipChange) Member {
	u := c.Update
	if ignored(mb.Status, u.Change) {
		return mb
	}
	mb.Status = statusAfter(mb.Status, u.Change)
	switch u.Change {
	case ChangeJoined:
		mb.Name, mb.Kind = u.Name, u.Kind
	case ChangeRenamed:
		mb.Name = cmp.Or(u.Name, mb.Name)
	}
	mb.Authority = cmp.Or(u.Authority, mb.Authority)
	if u.Change != ChangeRenamed {
		mb.Since, mb.Decision, mb.Source = u.Effective, u.Decision, c.Source
	}
	return mb
}

// List returns every entry as of d, sorted by code, those that have not
// joined by d included.
func (m *Membership) List(d Date) []Member {
	out := make([]Member, 0, len(m.codes))
	for _, code := range m.codes {
		mb, _ := m.On(code, d)
		out = append(out, mb)
	}
	return out
}

// History returns the changes applied to code, in the order they take
// effect. The caller owns the returned slice.
func (m *Membership) History(code string) []MembershipChange {
	return slices.Clone(m.changes[code])
}

// Known reports whether code names a participant, the trading entity or
// an EU member-state authority on d, whatever its status (a removed
// participant's records still name it).
func (m *Membership) Known(code string, d Date) bool {
	mb, ok := m.On(code, d)
	return ok && mb.Status != StatusNotJoined
}

// CanRunNode reports whether code can identify a node on d: known, and
// not the trading entity (see [ValidCode]).
func (m *Membership) CanRunNode(code string, d Date) bool {
	mb, ok := m.On(code, d)
	return ok && mb.Status != StatusNotJoined && mb.Kind != KindTradingEntity
}

// IsEUMemberState reports whether code is an EU member state with a Union
// authority on d.
func (m *Membership) IsEUMemberState(code string, d Date) bool {
	mb, ok := m.On(code, d)
	return ok && mb.Status != StatusNotJoined && mb.Kind == KindEUMemberState
}

// EUMemberStates returns the codes of the EU member-state authorities
// ever listed, sorted: the EU acts for them whatever the date.
func (m *Membership) EUMemberStates() []string {
	var out []string
	for _, code := range m.codes {
		if m.everKind(code, KindEUMemberState) {
			out = append(out, code)
		}
	}
	return out
}

func (m *Membership) everKind(code, kind string) bool {
	if p, ok := m.base[code]; ok && p.Kind == kind {
		return true
	}
	return slices.ContainsFunc(m.changes[code], func(c MembershipChange) bool { return c.Update.Kind == kind })
}

// Changed reports whether any change names code: if not, its entry is
// the built-in one on every date.
func (m *Membership) Changed(code string) bool { return m.changes[code] != nil }

// Codes returns every code the list names, sorted.
func (m *Membership) Codes() []string { return slices.Clone(m.codes) }

// String summarises m: "61 built-in participants, 3 changes".
func (m *Membership) String() string {
	n := 0
	for _, cs := range m.changes {
		n += len(cs)
	}
	return fmt.Sprintf("%d built-in participants, %d changes", len(m.base), n)
}
