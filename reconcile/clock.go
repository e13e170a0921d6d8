package reconcile

import (
	"time"
)

// timer is the next deadline of an unconfirmed certificate (R2), in Unix
// seconds.
type timer struct {
	at   int64
	slot *slot
}

// timerHeap is a binary min-heap of timers by time. Each slot knows its
// position (slot.hpos, 1-based, 0 when absent), so a certificate that gets
// confirmed leaves the heap at once and the heap holds only certificates
// still waiting.
type timerHeap []timer

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].slot.hpos, h[j].slot.hpos = i+1, j+1
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			return
		}
		h.swap(p, i)
		i = p
	}
}

func (h timerHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].at < h[c].at {
			c++
		}
		if h[i].at <= h[c].at {
			return
		}
		h.swap(i, c)
		i = c
	}
}

// set puts sl in the heap at time at, or moves it there.
func (h *timerHeap) set(sl *slot, at int64) {
	if sl.hpos > 0 {
		i := sl.hpos - 1
		(*h)[i].at = at
		h.up(i)
		h.down(sl.hpos - 1)
		return
	}
	*h = append(*h, timer{at, sl})
	sl.hpos = len(*h)
	h.up(len(*h) - 1)
}

// remove takes sl out of the heap, if it is there.
func (h *timerHeap) remove(sl *slot) {
	if sl.hpos == 0 {
		return
	}
	i, last := sl.hpos-1, len(*h)-1
	h.swap(i, last)
	*h = (*h)[:last]
	sl.hpos = 0
	if i < last {
		h.up(i)
		h.down(i)
	}
}

// schedule keeps the slot's next deadline in the heap, or takes it out.
func (s *State) schedule(sl *slot, next int64) {
	if next == 0 || !s.clock.IsZero() && next <= s.clock.Unix() {
		s.timers.remove(sl)
		return
	}
	s.timers.set(sl, next)
}

// advance moves the clock to now and schedules what depends on it: the
// slots whose deadline passed (R2) and the missing-submission subjects of
// the obligations whose latest missing period moved (R11). A clock moved
// backwards re-evaluates the current time-based findings.
func (s *State) advance(now time.Time) {
	if now.IsZero() || now.Equal(s.clock) {
		return
	}
	if !s.clock.IsZero() && now.Before(s.clock) {
		for _, h := range s.active {
			if h.slot != nil && h.rule == ruleUnconfirmed {
				s.touchSlot(h.slot, bit(ruleUnconfirmed))
			}
		}
	}
	s.clock = now
	t := now.Unix()
	for len(s.timers) > 0 && s.timers[0].at <= t {
		sl := s.timers[0].slot
		s.timers.remove(sl)
		s.touchSlot(sl, bit(ruleUnconfirmed))
	}
	s.advanceCalendar(now)
}
