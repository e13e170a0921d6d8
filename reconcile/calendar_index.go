package reconcile

import (
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// obKey is one participant's obligation.
type obKey struct {
	reporter string
	ob       Obligation
}

// submissions holds the current records that meet each obligation: by
// reporter and obligation, the records of each period (period.n). Trade
// statistics, production statistics and annual reports are put here as
// they become current and taken out as they stop being current, so a
// withdrawn period is missing again and a correction keeps it received.
type submissions map[obKey]map[int32][]*rec

// putSubmission adds (add) or removes r, a record of reporter for p, and
// schedules the missing-submission subjects it may change.
func (s *State) putSubmission(r *rec, reporter string, p period, add bool) {
	k := obKey{reporter, p.ob}
	m := s.subm[k]
	if m == nil {
		m = map[int32][]*rec{}
		s.subm[k] = m
	}
	before := len(m[p.n])
	if add {
		m[p.n] = append(m[p.n], r)
	} else {
		m[p.n] = slices.DeleteFunc(m[p.n], func(x *rec) bool { return x == r })
	}
	after := len(m[p.n])
	if after == 0 {
		delete(m, p.n)
	}
	if len(m) == 0 {
		delete(s.subm, k)
	}
	if (before == 0) != (after == 0) {
		s.touchMissing(reporter, p.ob)
	}
}

// touchMissing schedules the missing-submission subject of reporter's
// obligation ob; "EU" and its authorities cover each other, so an EU-side
// reporter schedules all of theirs.
func (s *State) touchMissing(reporter string, ob Obligation) {
	if !euSide(reporter) {
		s.touch(subjectKey{kind: subjMissing, a: reporter, flow: uint8(ob)})
		return
	}
	for _, c := range euCodes() {
		s.touch(subjectKey{kind: subjMissing, a: c, flow: uint8(ob)})
	}
}

// submittedRecs returns the current records that meet reporter's p: its
// own, else those of the other level of the EU (a member authority's
// quarter is met by the Union's submission, and the reverse).
func (s *State) submittedRecs(reporter string, p period) []*rec {
	if own := s.subm[obKey{reporter, p.ob}][p.n]; len(own) > 0 {
		return own
	}
	switch {
	case reporter == "EU":
		var out []*rec
		for _, c := range euCodes() {
			if c != "EU" {
				out = append(out, s.subm[obKey{c, p.ob}][p.n]...)
			}
		}
		return out
	case isEUMember(reporter):
		return s.subm[obKey{"EU", p.ob}][p.n]
	}
	return nil
}

// receivedAt returns the record by which reporter's p was first
// received: of the first records of the chains of its current records (a
// correction keeps the date of the record it corrects), the one received
// earliest (rec.effective; ties go to the first in record order). ok is
// false when p is not received.
func (s *State) receivedAt(reporter string, p period) (first *rec, ok bool) {
	tol := s.cfg.Calendar.ReceivedToleranceDays
	for _, r := range s.submittedRecs(reporter, p) {
		if root, found := s.chains.Root(r.pos()); found && root.at != 0 {
			r = root
		}
		if !ok || r.effective(tol).Before(first.effective(tol)) ||
			r.effective(tol).Equal(first.effective(tol)) && compareRecs(r, first) < 0 {
			first, ok = r, true
		}
	}
	return first, ok
}

// firstSubmitted returns the earliest period of ob reporter submitted.
func (s *State) firstSubmitted(reporter string, ob Obligation) (period, bool) {
	m := s.subm[obKey{reporter, ob}]
	if len(m) == 0 {
		return period{}, false
	}
	first := period{ob, 0}
	for n := range m {
		if first.n == 0 || n < first.n {
			first.n = n
		}
	}
	return first, true
}

// owedFrom returns the first period of ob that reporter, a tracked
// participant, owes: from the
// configured calendar start (production only for a producer, one that
// submitted production once), else from the first period it submitted;
// never one that ended before it joined. ok is false when it owes none.
func (s *State) owedFrom(reporter string, ob Obligation) (period, bool) {
	if !s.tracked(reporter) {
		return period{}, false
	}
	cal := &s.cfg.Calendar
	first, submitted := s.firstSubmitted(reporter, ob)
	from := first
	if !cal.Start.IsZero() && (ob != ProductionObligation || submitted) {
		from, submitted = periodOf(ob, cal.Start), true
	}
	if !submitted {
		return period{}, false
	}
	if j, ok := cal.Joined[reporter]; ok {
		if jp := periodOf(ob, j); jp.n > from.n {
			from = jp
		}
	}
	return from, true
}

// owes reports whether code owes period p by the participant list: it
// was a participant (active or suspended, not yet removed) on the first
// or the last day of p. A participant that joins mid-year owes from the
// period it joined in; one removed owes nothing for the periods after.
func (s *State) owes(code string, p period) bool {
	m := s.membership()
	if !m.Changed(code) {
		return true // the built-in entry on every date
	}
	last := p.next().start().Time().AddDate(0, 0, -1)
	return owingStatus(m, code, p.start()) || owingStatus(m, code, protocol.DateOf(last))
}

func owingStatus(m *protocol.Membership, code string, d protocol.Date) bool {
	status, _, ok := m.StatusOn(code, d)
	return ok && (status == protocol.StatusActive || status == protocol.StatusSuspended)
}

// calendarParties returns the participants the calendar tracks, sorted:
// the node itself, every reporter of a submission held, and the parties
// given to [State.SetParties].
func (s *State) calendarParties() []string {
	set := map[string]struct{}{}
	if s.self != "" {
		set[s.self] = struct{}{}
	}
	for k := range s.subm {
		set[k.reporter] = struct{}{}
	}
	for _, c := range s.parties {
		set[c] = struct{}{}
	}
	return sortedKeys(set)
}

// tracked reports whether the calendar tracks code (see calendarParties).
func (s *State) tracked(code string) bool {
	if code == s.self || slices.Contains(s.parties, code) {
		return true
	}
	for _, ob := range obligations {
		if len(s.subm[obKey{code, ob}]) > 0 {
			return true
		}
	}
	return false
}

// SetParties names the participants the submission calendar tracks
// besides the node itself and the reporters of what it holds: the node's
// partners. Codes that are not participant codes are ignored.
func (s *State) SetParties(codes []string) {
	var keep []string
	for _, c := range codes {
		if isCode(c) && !slices.Contains(keep, c) {
			keep = append(keep, c)
		}
	}
	slices.Sort(keep)
	if slices.Equal(keep, s.parties) {
		return
	}
	for _, c := range append(keep, s.parties...) {
		for _, ob := range obligations {
			s.touchMissing(c, ob)
		}
	}
	s.parties = keep
}

// advanceCalendar moves the latest missing period of each obligation to
// now, and schedules every tracked participant's subjects of the
// obligations whose latest missing period moved.
func (s *State) advanceCalendar(now time.Time) {
	for _, ob := range obligations {
		months, grace := s.cfg.deadline(ob)
		p := latestMissing(ob, now, months, grace)
		if p == s.calDue[ob] {
			continue
		}
		s.calDue[ob] = p
		for _, c := range s.calendarParties() {
			s.touch(subjectKey{kind: subjMissing, a: c, flow: uint8(ob)})
		}
	}
}

// recPeriod returns the obligation period r meets and its reporter.
func recPeriod(r *rec) (reporter string, p period, ok bool) {
	switch r.kind {
	case kindTrade:
		t := r.trade()
		if flowOf(t.Flow) == 0 || t.Period.IsZero() {
			return "", period{}, false
		}
		return t.Reporter, quarterPeriod(t.Period), true
	case kindProd:
		if r.prod().Period.IsZero() {
			return "", period{}, false
		}
		return r.prod().Reporter, halfPeriod(r.prod().Period), true
	case kindReport:
		a := r.body.(*protocol.AnnualReport)
		return a.Reporter, yearPeriod(a.Year), a.Year > 0
	}
	return "", period{}, false
}
