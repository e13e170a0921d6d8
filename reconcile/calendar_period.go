package reconcile

import (
	"fmt"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// period is one period of an obligation: a quarter, a half-year or a
// year. n counts periods from year 0, so consecutive periods have
// consecutive numbers.
type period struct {
	ob Obligation
	n  int32
}

// perYear returns how many periods of o a year has.
func perYear(o Obligation) int32 {
	switch o {
	case TradeObligation:
		return 4
	case ProductionObligation:
		return 2
	}
	return 1
}

// periodOf returns the period of o that contains d.
func periodOf(o Obligation, d protocol.Date) period {
	k := perYear(o)
	return period{o, int32(d.Year)*k + (int32(d.Month)-1)*k/12}
}

func (p period) year() int { return int(p.n / perYear(p.ob)) }
func (p period) num() int  { return int(p.n%perYear(p.ob)) + 1 }
func (p period) next() period {
	return period{p.ob, p.n + 1}
}

// start returns the first day of p.
func (p period) start() protocol.Date {
	return protocol.Date{Year: p.year(), Month: time.Month((p.num()-1)*12/int(perYear(p.ob)) + 1), Day: 1}
}

// String returns "2011-Q3", "2011-H2" or "2011".
func (p period) String() string {
	switch p.ob {
	case TradeObligation:
		return fmt.Sprintf("%04d-Q%d", p.year(), p.num())
	case ProductionObligation:
		return fmt.Sprintf("%04d-H%d", p.year(), p.num())
	}
	return fmt.Sprintf("%04d", p.year())
}

// dueAt returns when p's submission is due: months after p ends (the
// first day of the next period plus months).
func (p period) dueAt(months int) time.Time {
	return p.next().start().Time().AddDate(0, months, 0)
}

// missingAt returns when p's submission is missing: grace days after it
// is due.
func (p period) missingAt(months, grace int) time.Time {
	return p.dueAt(months).AddDate(0, 0, grace)
}

// latestMissing returns the latest period of o whose submission is missing
// at now if not received, with months and grace.
func latestMissing(o Obligation, now time.Time, months, grace int) period {
	p := periodOf(o, protocol.DateOf(now.UTC()))
	for p.missingAt(months, grace).After(now) {
		p.n--
	}
	return p
}

// quarterPeriod returns the trade period of q.
func quarterPeriod(q protocol.Quarter) period { return periodOf(TradeObligation, q.Start()) }

// halfPeriod returns the production period of h.
func halfPeriod(h protocol.Half) period { return periodOf(ProductionObligation, h.Start()) }

// yearPeriod returns the annual report period of year.
func yearPeriod(year int) period { return period{AnnualReportObligation, int32(year)} }
