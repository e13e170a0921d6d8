package protocol

import (
	"fmt"
	"time"
)

// Date is a calendar date without time zone, written "2026-11-20" in JSON.
// The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const dateLayout = "2006-01-02"

// ParseDate parses a date written YYYY-MM-DD. It rejects impossible dates
// such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	if len(s) != len(dateLayout) {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", truncate(s, 30))
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	var b [10]byte
	y, m := d.Year, int(d.Month)
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[5], b[6] = '-', byte('0'+m/10), byte('0'+m%10)
	b[7], b[8], b[9] = '-', byte('0'+d.Day/10), byte('0'+d.Day%10)
	return string(b[:])
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.Time().Compare(e.Time()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// MarshalText encodes d as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a date accepted by [ParseDate].
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// PackedDate is a Date in 32 bits, year×512 + month×32 + day, so that
// packed dates compare as the dates do. It holds every date of years
// -[PackedYears] to [PackedYears] with month 0–12 and day 0–31, which
// includes every date a record may carry and the zero Date. Holders of
// many dates (reconciliation's State, the node's inbox) keep them so.
type PackedDate int32

// PackedYears bounds the years a [PackedDate] holds.
const PackedYears = 4_000_000

// PackDate returns d packed; false when d is outside PackedDate's range.
func PackDate(d Date) (PackedDate, bool) {
	if d.Year < -PackedYears || d.Year > PackedYears || d.Month < 0 || d.Month > 12 || d.Day < 0 || d.Day > 31 {
		return 0, false
	}
	return PackedDate(d.Year<<9 | int(d.Month)<<5 | d.Day), true
}

// Date returns the date p holds.
func (p PackedDate) Date() Date {
	return Date{Year: int(p >> 9), Month: time.Month(p >> 5 & 15), Day: int(p & 31)}
}
