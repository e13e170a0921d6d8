package reconcile

import (
	"fmt"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// calendarBenchRows are two years of trade statistics of 60 reporters,
// each with a row per partner (20) and HS code (3) a quarter: 28,800 rows,
// the scale of a node that holds every partner's statistics.
func calendarBenchRows() []Record {
	codes := protocol.Participants()
	var reporters []string
	for _, p := range codes {
		if p.Kind == protocol.KindState && len(reporters) < 60 {
			reporters = append(reporters, p.Code)
		}
	}
	f := feeds{}
	var out []Record
	for _, q := range []string{"2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"} {
		for i, r := range reporters {
			for j := 1; j <= 20; j++ {
				partner := reporters[(i+j)%len(reporters)]
				for _, hs := range []string{"7102.10", "7102.21", "7102.31"} {
					out = append(out, f.timed(r, quarter(q).Next().Start().Time().AddDate(0, 1, 0), trade(r, q, exp, partner, hs, "100.00", "10000.00", 1)))
				}
			}
		}
	}
	return out
}

// BenchmarkCalendar measures the submission calendar of 60 reporters over
// two years against the findings query of the same State (the baseline):
// "findings" moves the clock and lists the findings, "calendar" moves it
// as far and computes the calendar. "correct-quarter" corrects the 60
// rows of one reporter's quarter one at a time, against "add-quarter",
// adding 60 new rows: a correction removes a row from its period's list.
func BenchmarkCalendar(b *testing.B) {
	rows := calendarBenchRows()
	s := newState(b, "IN")
	s.AddAll(rows)
	days := []string{"2026-03-01", "2026-03-02"}
	b.Run("findings", func(b *testing.B) {
		i := 0
		for b.Loop() {
			s.Findings(at(days[i%2]))
			i++
		}
	})
	b.Run("calendar", func(b *testing.B) {
		i := 0
		for b.Loop() {
			s.Calendar(at(days[i%2]))
			i++
		}
	})
	first := rows[0].Ref.Seq // IN's feed is not among the reporters: use the first reporter's
	reporter := rows[0].Ref.Feed
	next := uint64(len(rows)) + 1
	b.Run("add-quarter", func(b *testing.B) {
		for b.Loop() {
			for j := range 60 {
				next++
				s.Add(Record{Ref: RecordRef{Feed: reporter, Seq: next}, Body: trade(reporter, "2023-Q1", exp, "BE", fmt.Sprintf("7102.%d", 10+j%3), "1.00", "1.00", 1)})
			}
		}
	})
	b.Run("correct-quarter", func(b *testing.B) {
		for b.Loop() {
			for j := range 60 {
				next++
				c := *rows[j].Body.(*protocol.TradeStatistics)
				c.Supersedes = &protocol.Supersedes{Seq: first + uint64(j)}
				s.Add(Record{Ref: RecordRef{Feed: reporter, Seq: next}, Body: &c})
			}
		}
	})
}
