package trade

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// The submission calendar's ground truth: what each node's calendar (GET
// /api/calendar) must show late and missing, for itself and every
// participant whose submissions it holds.
//
// A load publishes the whole window at once, and a node dates a
// submission by when its author signed it and when the node first held
// it, never by the period it covers (docs/reconcile.md): every
// submission is received at the load. So a submission of a period whose
// due date has passed by Now is late, by as many days as that date is
// old; one of a period not yet due is on time; and a period owed (from
// the first the reporter submitted, reconcile's default without a
// calendar start) with nothing received once its due date and grace have
// passed is missing. The truth holds from Now until two weeks later
// provided the load ends before the next due date after Now: lateness is
// fixed at receipt, and a period missing stays missing.

// ExpectedCalendar is what one node's calendar must show of one party's
// obligation: the periods late and missing, in order. Obligations with
// neither are not listed, and a node's calendar must show neither for
// them.
type ExpectedCalendar struct {
	Observer   string   `json:"observer"`
	Party      string   `json:"party"`
	Obligation string   `json:"obligation"` // "trade_statistics", "production_statistics", "annual_report"
	Late       []string `json:"late,omitempty"`
	Missing    []string `json:"missing,omitempty"`
}

// obligation describes one kind of submission for the truth: its record
// type, periods a year, and months after a period and grace days after
// that before a period is missing (reconcile's defaults).
type obligation struct {
	name      string
	perYear   int
	dueMonths int
	grace     int
}

func obligations() []obligation {
	c := reconcile.DefaultConfig()
	return []obligation{
		{protocol.TradeStatisticsType, 4, c.StatisticsDueMonths, c.Calendar.TradeGraceDays},
		{protocol.ProductionStatisticsType, 2, c.Calendar.ProductionDueMonths, c.Calendar.ProductionGraceDays},
		{protocol.AnnualReportType, 1, c.Calendar.AnnualReportDueMonths, c.Calendar.AnnualReportGraceDays},
	}
}

// due returns when period n (year*perYear + index) is due.
func (o obligation) due(n int) time.Time {
	next := n + 1
	return time.Date(next/o.perYear, time.Month(next%o.perYear*12/o.perYear+1), 1, 0, 0, 0, 0, time.UTC).AddDate(0, o.dueMonths, 0)
}

// name returns "2026-Q1", "2026-H1" or "2026" for period n.
func (o obligation) period(n int) string {
	switch o.perYear {
	case 4:
		return fmt.Sprintf("%04d-Q%d", n/4, n%4+1)
	case 2:
		return fmt.Sprintf("%04d-H%d", n/2, n%2+1)
	}
	return fmt.Sprintf("%04d", n)
}

// submission returns the obligation (index into obligations) and period
// number a record meets; false for other records.
func submission(body any) (int, int, bool) {
	switch r := body.(type) {
	case *protocol.TradeStatistics:
		return 0, r.Period.Year()*4 + r.Period.Number() - 1, true
	case *protocol.ProductionStatistics:
		return 1, r.Period.Year()*2 + r.Period.Number() - 1, true
	case *protocol.AnnualReport:
		return 2, r.Year, true
	}
	return 0, 0, false
}

// calendarTruth derives the calendars of the items' holders at now.
func calendarTruth(items []Item, now time.Time) []ExpectedCalendar {
	type key struct {
		observer, party string
		ob              int
	}
	held := map[key]map[int]bool{}
	for _, it := range items {
		ob, n, ok := submission(it.body)
		if !ok {
			continue
		}
		for _, o := range append([]string{it.Author}, it.To...) {
			k := key{o, it.Author, ob}
			if held[k] == nil {
				held[k] = map[int]bool{}
			}
			held[k][n] = true
		}
	}
	obs := obligations()
	out := []ExpectedCalendar{}
	for k, periods := range held {
		if e, ok := judge(obs[k.ob], periods, now); ok {
			e.Observer, e.Party = k.observer, k.party
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b ExpectedCalendar) int {
		return cmp.Or(cmp.Compare(a.Observer, b.Observer), cmp.Compare(a.Party, b.Party), cmp.Compare(a.Obligation, b.Obligation))
	})
	return out
}

// judge returns the late and missing periods of one obligation from the
// first period received to the last due at now; false when there are none.
func judge(o obligation, received map[int]bool, now time.Time) (ExpectedCalendar, bool) {
	first, last := minKey(received), maxKey(received)
	e := ExpectedCalendar{Obligation: o.name}
	for n := first; n <= last || !o.due(n).AddDate(0, 0, o.grace).After(now); n++ {
		switch {
		case received[n] && !o.due(n).After(now):
			e.Late = append(e.Late, o.period(n))
		case !received[n] && !o.due(n).AddDate(0, 0, o.grace).After(now):
			e.Missing = append(e.Missing, o.period(n))
		}
	}
	return e, len(e.Late)+len(e.Missing) > 0
}

func minKey(m map[int]bool) int {
	first := true
	out := 0
	for n := range m {
		if first || n < out {
			out, first = n, false
		}
	}
	return out
}

func maxKey(m map[int]bool) int {
	out := 0
	for n := range m {
		out = max(out, n)
	}
	return out
}

// CompareCalendar compares the calendar node observer shows with the
// truth, both ways: every period the truth says is late or missing shows
// so, and no other period does. It returns one line per obligation that
// differs.
func CompareCalendar(exp []ExpectedCalendar, observer string, got reconcile.Calendar) []string {
	type key struct{ party, ob string }
	want := map[key]ExpectedCalendar{}
	for _, e := range exp {
		if e.Observer == observer {
			want[key{e.Party, e.Obligation}] = e
		}
	}
	var probs []string
	for _, pc := range got.Parties {
		for _, op := range pc.Obligations {
			k := key{pc.Code, op.Obligation}
			w := want[k]
			delete(want, k)
			late, missing := statusPeriods(op, reconcile.StatusLate), statusPeriods(op, reconcile.StatusMissing)
			if !slices.Equal(late, w.Late) || !slices.Equal(missing, w.Missing) {
				probs = append(probs, calendarProblem(observer, pc.Code, op.Obligation, late, missing, w))
			}
		}
	}
	rest := slices.SortedFunc(func(yield func(ExpectedCalendar) bool) {
		for _, w := range want {
			if !yield(w) {
				return
			}
		}
	}, func(a, b ExpectedCalendar) int {
		return cmp.Or(cmp.Compare(a.Party, b.Party), cmp.Compare(a.Obligation, b.Obligation))
	})
	for _, w := range rest {
		probs = append(probs, calendarProblem(observer, w.Party, w.Obligation, nil, nil, w))
	}
	return probs
}

// statusPeriods returns the periods of op with status st, in order.
func statusPeriods(op reconcile.ObligationPeriods, st string) []string {
	var out []string
	for _, p := range op.Periods {
		if p.Status == st {
			out = append(out, p.Period)
		}
	}
	return out
}

func calendarProblem(observer, party, ob string, late, missing []string, w ExpectedCalendar) string {
	return fmt.Sprintf("%s's calendar of %s's %s: late %v, missing %v; want late %v, missing %v", observer, party, ob, late, missing, w.Late, w.Missing)
}

// check reports what is wrong with an expectation read from a file.
func (e ExpectedCalendar) check() error {
	i := slices.IndexFunc(obligations(), func(o obligation) bool { return o.name == e.Obligation })
	switch {
	case !known(e.Observer) || !known(e.Party):
		return fmt.Errorf("observer %q and party %q: want participant codes", e.Observer, e.Party)
	case i < 0:
		return fmt.Errorf("%s at %s: unknown obligation %q", e.Party, e.Observer, e.Obligation)
	case len(e.Late)+len(e.Missing) == 0:
		return fmt.Errorf("%s's %s at %s: neither late nor missing periods", e.Party, e.Obligation, e.Observer)
	}
	for _, p := range slices.Concat(e.Late, e.Missing) {
		if !validPeriod(obligations()[i], p) {
			return fmt.Errorf("%s's %s at %s: %q is not a period of it", e.Party, e.Obligation, e.Observer, p)
		}
	}
	return nil
}

// validPeriod reports whether s names a period of o, as o.period writes it.
func validPeriod(o obligation, s string) bool {
	switch o.perYear {
	case 4:
		_, err := protocol.ParseQuarter(s)
		return err == nil
	case 2:
		_, err := protocol.ParseHalf(s)
		return err == nil
	}
	y, err := strconv.Atoi(s)
	return err == nil && len(s) == 4 && y > 0
}
