package node

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Every check of a partner code against the participant list reads the
// list as of a date: a record's against the list of the date it is filed
// under (a certificate's issue date, a report's year), a partner's
// standing against today's. Such checks flag, they do not refuse: a
// record dated before a participant's removal goes to it as before, and
// one after goes as the operator asked, with a warning; R5 judges what
// records name.

// standingOn says why code is not an active participant on d by list m,
// or "" when it is: "VE was removed on 2012-07-01 (Plenary 2011, Final
// Communiqué ¶6; file plenary.csv row 2)".
func standingOn(m *protocol.Membership, code string, d protocol.Date) string {
	mb, ok := m.On(code, d)
	switch {
	case !ok || mb.Status == protocol.StatusNotJoined:
		return fmt.Sprintf("%s is not a participant on %s", code, d)
	case mb.Active():
		return ""
	}
	return fmt.Sprintf("%s was %s on %s (%s; %s)", code, mb.Status, mb.Since, mb.Decision, mb.Source)
}

// partnerStanding says why partner code is not an active participant
// today, or "" when it is: the roster shows it with the partner.
func (n *Node) partnerStanding(code string) string {
	return standingOn(n.Membership(), code, protocol.DateOf(n.now()))
}

// audienceStandings collects, over the records of one publish or import,
// the partners of their audiences that were no active participant on a
// record's date.
type audienceStandings struct {
	m     *protocol.Membership
	today protocol.Date
	codes map[string]*standingCount
}

type standingCount struct {
	records int
	reason  string // the first record's
}

func (n *Node) newAudienceStandings() *audienceStandings {
	return &audienceStandings{m: n.Membership(), today: protocol.DateOf(n.now()), codes: map[string]*standingCount{}}
}

// note checks the audience codes of record v, as of its date (today for a
// record filed under none).
func (a *audienceStandings) note(v protocol.Record, codes []string) {
	d := a.today
	if v != nil && !v.Filed().IsZero() {
		d = v.Filed()
	}
	for _, code := range codes {
		reason := standingOn(a.m, code, d)
		if reason == "" {
			continue
		}
		c := a.codes[code]
		if c == nil {
			c = &standingCount{reason: reason}
			a.codes[code] = c
		}
		c.records++
	}
}

// warnings says, per partner, how many records it received on dates it was
// no active participant, and why.
func (a *audienceStandings) warnings() []string {
	var out []string
	for _, code := range slices.Sorted(maps.Keys(a.codes)) {
		c := a.codes[code]
		what := "the record is"
		if c.records != 1 {
			what = fmt.Sprintf("%d records are", c.records)
		}
		out = append(out, fmt.Sprintf("%s sent to partner %s, which was no active participant on the date filed (%s): sent as asked; check the participant list (kpnode participants)",
			what, code, strings.TrimSuffix(c.reason, ".")))
	}
	return out
}
