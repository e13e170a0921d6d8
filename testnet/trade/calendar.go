package trade

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Window shape (see Options.Days).
const (
	minWindowDays = 45 // R2 needs certificates 33..44 days old
	minStatDays   = 14 // days of the last statistics quarter inside the window
	maxTransit    = 10 // days from issue to receipt, at most
)

// calendar places the trade in time. Everything is in UTC dates: the
// window of trade [from, today], the current quarter (trade, no
// statistics yet) and the closed quarters before it that the window
// meets, the statistics quarters, whose statistics every reporter
// publishes; the last of them, stat, is the quarter just closed.
type calendar struct {
	now   time.Time
	today protocol.Date
	from  protocol.Date
	cur   protocol.Quarter // the quarter of today
	stat  protocol.Quarter // cur.Prev(): the last quarter with statistics
}

func newCalendar(now time.Time, days int) calendar {
	today := protocol.DateOf(now.UTC())
	cur := protocol.QuarterOf(today)
	c := calendar{now: now.UTC(), today: today, cur: cur, stat: cur.Prev()}
	c.from = minDate(addDays(today, 1-days), addDays(today, 1-minWindowDays))
	c.from = minDate(c.from, addDays(c.stat.End(), 1-minStatDays))
	return c
}

// quarters returns the statistics quarters, oldest first: every closed
// quarter the window meets (the first may be met only in part).
func (c calendar) quarters() []protocol.Quarter {
	var out []protocol.Quarter
	for q := protocol.QuarterOf(c.from); q.Compare(c.cur) < 0; q = q.Next() {
		out = append(out, q)
	}
	return out
}

// closed reports whether q is a statistics quarter: closed, and met by
// the window.
func (c calendar) closed(q protocol.Quarter) bool {
	return q.Compare(c.cur) < 0 && q.Compare(protocol.QuarterOf(c.from)) >= 0
}

// days returns every date of the window, in order.
func (c calendar) days() []protocol.Date {
	var out []protocol.Date
	for d := c.from; !d.After(c.today); d = addDays(d, 1) {
		out = append(out, d)
	}
	return out
}

// inStat reports whether d falls in a statistics quarter (before the
// current one).
func (c calendar) inStat(d protocol.Date) bool { return d.Before(c.cur.Start()) }

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
	last := protocol.HalfOf(c.today)
	var out []protocol.Half
	for h := protocol.HalfOf(c.from); h.Compare(last) <= 0; h = h.Next() {
		out = append(out, h)
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
