package trade

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Window shape (see Options.Days).
const (
	minWindowDays = 45 // R2 needs certificates 33..44 days old
	minStatDays   = 14 // days of the statistics quarter inside the window
	maxTransit    = 10 // days from issue to receipt, at most
)

// calendar places the trade in time. Everything is in UTC dates: the
// window of trade [from, today], the current quarter (trade, no
// statistics yet) and the previous one, the statistics quarter, whose
// statistics every reporter publishes.
type calendar struct {
	now   time.Time
	today protocol.Date
	from  protocol.Date
	cur   protocol.Quarter // the quarter of today
	stat  protocol.Quarter // cur.Prev(): the quarter with statistics
}

func newCalendar(now time.Time, days int) calendar {
	today := protocol.DateOf(now.UTC())
	cur := protocol.QuarterOf(today)
	c := calendar{now: now.UTC(), today: today, cur: cur, stat: cur.Prev()}
	c.from = minDate(addDays(today, 1-days), addDays(today, 1-minWindowDays))
	c.from = minDate(c.from, addDays(c.stat.End(), 1-minStatDays))
	return c
}

// days returns every date of the window, in order.
func (c calendar) days() []protocol.Date {
	var out []protocol.Date
	for d := c.from; !d.After(c.today); d = addDays(d, 1) {
		out = append(out, d)
	}
	return out
}

// inStat reports whether d falls in the statistics quarter.
func (c calendar) inStat(d protocol.Date) bool { return c.stat.Contains(d) }

// between returns a random date in [a, b]; a when b is before a.
func (g *generator) between(a, b protocol.Date) protocol.Date {
	n := daysBetween(a, b)
	if n <= 0 {
		return a
	}
	return addDays(a, g.rng.IntN(n+1))
}

// halves returns the half-years that meet the window, in order.
func (c calendar) halves() []protocol.Half {
	first, last := protocol.HalfOf(c.from), protocol.HalfOf(c.today)
	out := []protocol.Half{first}
	if last != first {
		out = append(out, last)
	}
	return out
}

func addDays(d protocol.Date, n int) protocol.Date {
	return protocol.DateOf(d.Time().AddDate(0, 0, n))
}

// daysBetween returns b - a in days.
func daysBetween(a, b protocol.Date) int {
	return int(b.Time().Sub(a.Time()) / (24 * time.Hour))
}

func minDate(a, b protocol.Date) protocol.Date {
	if b.Before(a) {
		return b
	}
	return a
}

func maxDate(a, b protocol.Date) protocol.Date {
	if b.After(a) {
		return b
	}
	return a
}
