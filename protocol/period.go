package protocol

import (
	"cmp"
	"fmt"
	"time"
)

// Quarter is a calendar quarter, the period of trade statistics (KPCS
// Annex III), written "2011-Q3". The zero Quarter means "not set".
type Quarter struct {
	year, num int // num is 1..4; 0 only in the zero Quarter
}

// Half is a calendar half-year, the period of production statistics,
// written "2011-H2". The zero Half means "not set".
type Half struct {
	year, num int // num is 1..2; 0 only in the zero Half
}

// ParseQuarter parses "YYYY-Qn" with four ASCII digits and n in 1..4.
// Nothing else is accepted: no lowercase q, no missing dash, no spaces.
func ParseQuarter(s string) (Quarter, error) {
	y, n, ok := parsePeriod(s, 'Q', 4)
	if !ok {
		return Quarter{}, fmt.Errorf("parse quarter %q: want YYYY-Qn with n 1..4, such as \"2011-Q3\"", truncate(s, 30))
	}
	return Quarter{y, n}, nil
}

// ParseHalf parses "YYYY-Hn" with four ASCII digits and n 1 or 2.
func ParseHalf(s string) (Half, error) {
	y, n, ok := parsePeriod(s, 'H', 2)
	if !ok {
		return Half{}, fmt.Errorf("parse half %q: want YYYY-Hn with n 1 or 2, such as \"2011-H2\"", truncate(s, 30))
	}
	return Half{y, n}, nil
}

// parsePeriod parses "YYYY-" letter digit with the digit in 1..count.
func parsePeriod(s string, letter byte, count int) (year, num int, ok bool) {
	if len(s) != 7 || !allDigits(s[:4]) || s[4] != '-' || s[5] != letter || s[6] < '1' || s[6] > '0'+byte(count) {
		return 0, 0, false
	}
	year = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	return year, int(s[6] - '0'), true
}

// QuarterOf returns the quarter that contains d.
func QuarterOf(d Date) Quarter { return Quarter{d.Year, (int(d.Month)-1)/3 + 1} }

// HalfOf returns the half-year that contains d.
func HalfOf(d Date) Half { return Half{d.Year, (int(d.Month)-1)/6 + 1} }

// Year returns the quarter's year.
func (q Quarter) Year() int { return q.year }

// Number returns 1..4, or 0 for the zero Quarter.
func (q Quarter) Number() int { return q.num }

// IsZero reports whether q is the zero Quarter.
func (q Quarter) IsZero() bool { return q == Quarter{} }

// String formats q as "2011-Q3".
func (q Quarter) String() string { return fmt.Sprintf("%04d-Q%d", q.year, q.num) }

// Next returns the quarter after q.
func (q Quarter) Next() Quarter {
	if q.num == 4 {
		return Quarter{q.year + 1, 1}
	}
	return Quarter{q.year, q.num + 1}
}

// Prev returns the quarter before q.
func (q Quarter) Prev() Quarter {
	if q.num == 1 {
		return Quarter{q.year - 1, 4}
	}
	return Quarter{q.year, q.num - 1}
}

// Start returns the first day of q.
func (q Quarter) Start() Date { return periodStart(q.year, q.num, 3) }

// End returns the last day of q.
func (q Quarter) End() Date { return q.Next().Start().addDays(-1) }

// Contains reports whether d falls within q.
func (q Quarter) Contains(d Date) bool {
	return !q.IsZero() && !d.IsZero() && QuarterOf(d.normal()) == q
}

// Compare returns -1, 0 or +1 as q is before, equal to or after r.
func (q Quarter) Compare(r Quarter) int { return comparePeriods(q.year, q.num, r.year, r.num) }

// Half returns the half-year that contains q.
func (q Quarter) Half() Half { return Half{q.year, (q.num + 1) / 2} }

// MarshalText encodes q as "2011-Q3".
func (q Quarter) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText decodes a quarter accepted by [ParseQuarter].
func (q *Quarter) UnmarshalText(b []byte) error {
	v, err := ParseQuarter(string(b))
	if err == nil {
		*q = v
	}
	return err
}

// Year returns the half-year's year.
func (h Half) Year() int { return h.year }

// Number returns 1 or 2, or 0 for the zero Half.
func (h Half) Number() int { return h.num }

// IsZero reports whether h is the zero Half.
func (h Half) IsZero() bool { return h == Half{} }

// String formats h as "2011-H2".
func (h Half) String() string { return fmt.Sprintf("%04d-H%d", h.year, h.num) }

// Next returns the half-year after h.
func (h Half) Next() Half {
	if h.num == 2 {
		return Half{h.year + 1, 1}
	}
	return Half{h.year, h.num + 1}
}

// Prev returns the half-year before h.
func (h Half) Prev() Half {
	if h.num == 1 {
		return Half{h.year - 1, 2}
	}
	return Half{h.year, h.num - 1}
}

// Start returns the first day of h.
func (h Half) Start() Date { return periodStart(h.year, h.num, 6) }

// End returns the last day of h.
func (h Half) End() Date { return h.Next().Start().addDays(-1) }

// Contains reports whether d falls within h.
func (h Half) Contains(d Date) bool { return !h.IsZero() && !d.IsZero() && HalfOf(d.normal()) == h }

// Compare returns -1, 0 or +1 as h is before, equal to or after g.
func (h Half) Compare(g Half) int { return comparePeriods(h.year, h.num, g.year, g.num) }

// Quarters returns the two quarters of h.
func (h Half) Quarters() [2]Quarter {
	first := Quarter{h.year, 2*h.num - 1}
	return [2]Quarter{first, first.Next()}
}

// MarshalText encodes h as "2011-H2".
func (h Half) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a half-year accepted by [ParseHalf].
func (h *Half) UnmarshalText(b []byte) error {
	v, err := ParseHalf(string(b))
	if err == nil {
		*h = v
	}
	return err
}

// validPeriod reports whether s is a quarter or a half-year.
func validPeriod(s string) bool {
	_, _, q := parsePeriod(s, 'Q', 4)
	_, _, h := parsePeriod(s, 'H', 2)
	return q || h
}

func periodStart(year, num, months int) Date {
	return Date{Year: year, Month: time.Month((num-1)*months + 1), Day: 1}
}

func comparePeriods(y1, n1, y2, n2 int) int {
	if c := cmp.Compare(y1, y2); c != 0 {
		return c
	}
	return cmp.Compare(n1, n2)
}

// addDays returns d moved by n days.
func (d Date) addDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// normal returns d with an out-of-range month or day carried over, as
// [Date.Time] does.
func (d Date) normal() Date { return DateOf(d.Time()) }
