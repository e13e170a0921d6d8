package reconcile

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Period statuses in a [Calendar].
const (
	StatusOpen    = "open"    // the period has not ended
	StatusDue     = "due"     // ended, not received, not yet due
	StatusOverdue = "overdue" // past its due date, within the grace
	StatusMissing = "missing" // past due date and grace: an R11 finding
	StatusOnTime  = "on_time" // received before its due date
	StatusLate    = "late"    // received on or after its due date
)

// Calendar is the submission calendar at a time: for the node itself and
// each tracked participant, what it owes and what was received, period by
// period.
type Calendar struct {
	At      time.Time       `json:"at"`
	Parties []PartyCalendar `json:"parties"`
}

// PartyCalendar is one participant's obligations.
type PartyCalendar struct {
	Code        string              `json:"code"`
	Self        bool                `json:"self,omitempty"`
	Obligations []ObligationPeriods `json:"obligations"`
}

// ObligationPeriods is one obligation of a participant: its periods from
// the first owed to the one running at the calendar's time, and counts.
// From is empty and Periods nil when nothing is owed yet.
type ObligationPeriods struct {
	Obligation string         `json:"obligation"` // "trade_statistics", "production_statistics", "annual_report"
	From       string         `json:"from,omitempty"`
	Periods    []PeriodStatus `json:"periods"`
	Missing    int            `json:"missing"`
	Late       int            `json:"late"`
	Finding    string         `json:"finding,omitempty"` // the R11 finding of its missing periods
}

// PeriodStatus is one period of an obligation.
type PeriodStatus struct {
	Period  string        `json:"period"` // "2011-Q3", "2011-H2", "2011"
	Due     protocol.Date `json:"due"`
	Missing protocol.Date `json:"missing_from"` // due plus grace
	Status  string        `json:"status"`       // StatusOpen … StatusLate
	// Received is when the period counts as received: the later of
	// Signed and Held less the received tolerance.
	Received time.Time `json:"received,omitzero"`
	// Signed is the entry time its author signed; Held when this node
	// first held it (zero when the store did not keep it).
	Signed time.Time `json:"signed,omitzero"`
	Held   time.Time `json:"held,omitzero"`
	// DaysLate counts the days from the due date to the receipt (late) or
	// to the calendar's time (overdue, missing).
	DaysLate int `json:"days_late,omitempty"`
}

// Calendar returns the submission calendar at now, which becomes the
// State's clock as for [State.Findings]: deterministic in the records held
// and now.
func (s *State) Calendar(now time.Time) Calendar {
	s.advance(now)
	s.commit()
	c := Calendar{At: s.clock, Parties: []PartyCalendar{}}
	for _, code := range s.calendarParties() {
		pc := PartyCalendar{Code: code, Self: code == s.self, Obligations: make([]ObligationPeriods, 0, len(obligations))}
		for _, ob := range obligations {
			pc.Obligations = append(pc.Obligations, s.obligationPeriods(code, ob))
		}
		c.Parties = append(c.Parties, pc)
	}
	return c
}

// obligationPeriods returns code's periods of ob at the State's clock.
func (s *State) obligationPeriods(code string, ob Obligation) ObligationPeriods {
	out := ObligationPeriods{Obligation: ob.String(), Periods: []PeriodStatus{}}
	from, ok := s.owedFrom(code, ob)
	if !ok || s.clock.IsZero() {
		return out
	}
	out.From = from.String()
	months, grace := s.cfg.deadline(ob)
	last := periodOf(ob, protocol.DateOf(s.clock.UTC()))
	for p := from; p.n <= last.n; p = p.next() {
		if !s.owes(code, p) {
			continue
		}
		ps := s.periodStatus(code, p, months, grace)
		switch ps.Status {
		case StatusMissing:
			out.Missing++
		case StatusLate:
			out.Late++
		}
		out.Periods = append(out.Periods, ps)
	}
	if id := "R11/" + code + "/" + ob.slug() + "/missing"; s.active[id] != nil {
		out.Finding = id
	}
	return out
}

// periodStatus returns the status of code's p at the State's clock.
func (s *State) periodStatus(code string, p period, months, grace int) PeriodStatus {
	due, missing := p.dueAt(months), p.missingAt(months, grace)
	ps := PeriodStatus{Period: p.String(), Due: protocol.DateOf(due), Missing: protocol.DateOf(missing)}
	if rc, ok := s.receivedAt(code, p); ok {
		at := rc.effective(s.cfg.Calendar.ReceivedToleranceDays)
		ps.Received, ps.Signed, ps.Held, ps.Status = at, rc.when(), rc.heldAt(), StatusOnTime
		if !at.IsZero() && !at.Before(due) {
			ps.Status, ps.DaysLate = StatusLate, daysBetween(due, at)
		}
		return ps
	}
	switch now := s.clock; {
	case now.Before(p.next().start().Time()):
		ps.Status = StatusOpen
	case now.Before(due):
		ps.Status = StatusDue
	case now.Before(missing):
		ps.Status, ps.DaysLate = StatusOverdue, daysBetween(due, now)
	default:
		ps.Status, ps.DaysLate = StatusMissing, daysBetween(due, now)
	}
	return ps
}

// daysBetween counts the whole days from a to b.
func daysBetween(a, b time.Time) int { return int(b.Sub(a) / (24 * time.Hour)) }
