package reconcile

import (
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Obligation is a kind of submission a participant owes: trade statistics
// each quarter, production statistics each half-year, an annual report each
// year.
type Obligation uint8

// The obligations, named after the record type that meets them.
const (
	TradeObligation Obligation = iota + 1
	ProductionObligation
	AnnualReportObligation
)

// obligations lists them in order.
var obligations = [...]Obligation{TradeObligation, ProductionObligation, AnnualReportObligation}

// String returns the record type that meets o: "trade_statistics",
// "production_statistics" or "annual_report".
func (o Obligation) String() string {
	switch o {
	case TradeObligation:
		return protocol.TradeStatisticsType
	case ProductionObligation:
		return protocol.ProductionStatisticsType
	case AnnualReportObligation:
		return protocol.AnnualReportType
	}
	return ""
}

// slug names o in finding ids, whose alphabet has no "_":
// "trade-statistics", "production-statistics", "annual-report".
func (o Obligation) slug() string { return strings.ReplaceAll(o.String(), "_", "-") }

// noun names o for people.
func (o Obligation) noun() string {
	switch o {
	case TradeObligation:
		return "trade statistics"
	case ProductionObligation:
		return "production statistics"
	}
	return "annual report"
}

// CalendarConfig sets the submission calendar: when each obligation is
// due, the grace after it before a missing submission is a finding (R11),
// and from when a participant owes it. Trade statistics are due
// [Config.StatisticsDueMonths] after the quarter.
type CalendarConfig struct {
	// TradeGraceDays after a quarter's trade statistics are due, a
	// missing quarter is a finding.
	TradeGraceDays int `json:"trade_grace_days"` // 0
	// Production statistics of a half-year are due ProductionDueMonths
	// after it; missing after ProductionGraceDays more.
	ProductionDueMonths int `json:"production_due_months"` // 2
	ProductionGraceDays int `json:"production_grace_days"` // 0
	// A year's annual report is due AnnualReportDueMonths after the year
	// (31 March, the KP's administrative decision on annual reporting);
	// missing after AnnualReportGraceDays more.
	AnnualReportDueMonths int `json:"annual_report_due_months"` // 3
	AnnualReportGraceDays int `json:"annual_report_grace_days"` // 0
	// ReceivedToleranceDays is how long a submission may take to reach
	// this node (sync lag, a partner offline) and still be dated by the
	// time its author signed: a submission is received at the later of
	// its signed time and when this node first held it less this many
	// days, so a partner cannot backdate a late submission to "on time".
	ReceivedToleranceDays int `json:"received_tolerance_days"` // 7
	// Start is the first day from which every tracked participant owes
	// trade statistics and annual reports (production only a producer,
	// one that submitted production once). Zero: a participant owes an
	// obligation from the first period it submitted for it.
	Start protocol.Date `json:"start,omitzero"`
	// Joined gives the admission date of a participant that joined the
	// KP: it owes nothing for periods that ended before it.
	Joined map[string]protocol.Date `json:"joined,omitempty"`
}

// defaultCalendar returns the defaults documented in docs/reconcile.md.
func defaultCalendar() CalendarConfig {
	return CalendarConfig{ProductionDueMonths: 2, AnnualReportDueMonths: 3, ReceivedToleranceDays: 7}
}

// check returns an error naming the first invalid field of c.
func (c CalendarConfig) check() error {
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{
		{"trade_grace_days", c.TradeGraceDays, 3650},
		{"production_due_months", c.ProductionDueMonths, 24},
		{"production_grace_days", c.ProductionGraceDays, 3650},
		{"annual_report_due_months", c.AnnualReportDueMonths, 24},
		{"annual_report_grace_days", c.AnnualReportGraceDays, 3650},
		{"received_tolerance_days", c.ReceivedToleranceDays, 3650},
	} {
		if f.v < 0 || f.v > f.max {
			return badField("calendar."+f.name, "must be 0..%d, got %d", f.max, f.v)
		}
	}
	for _, code := range sortedKeys(c.Joined) {
		if !protocol.AdmissibleCode(code, false) { // a participant the list admits later may be named
			return badField("calendar.joined."+code, "unknown participant code")
		}
		if c.Joined[code].IsZero() {
			return badField("calendar.joined."+code, "must be a date")
		}
	}
	return nil
}

// deadline returns the months after a period of o before it is due, and
// the grace days after that.
func (c *compiled) deadline(o Obligation) (months, grace int) {
	switch o {
	case TradeObligation:
		return c.StatisticsDueMonths, c.Calendar.TradeGraceDays
	case ProductionObligation:
		return c.Calendar.ProductionDueMonths, c.Calendar.ProductionGraceDays
	}
	return c.Calendar.AnnualReportDueMonths, c.Calendar.AnnualReportGraceDays
}
