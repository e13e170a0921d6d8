package reconcile

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

func annual(reporter string, year int, resolves ...string) *protocol.AnnualReport {
	na := "not applicable"
	return &protocol.AnnualReport{Version: 1, Reporter: reporter, Year: year, Resolves: resolves,
		Sections: protocol.ReportSections{Legislation: na, Regime: na, Statistics: na, Enforcement: na, ReviewVisits: na, Discrepancies: na, Artisanal: na}}
}

// calendarRecords are two years (2023 and the leap year 2024) of a
// partner's submissions: BE late then corrected, withdrawn, on time; its
// annual report for 2023; production by BW.
func calendarRecords() []Record {
	f := feeds{}
	q1 := f.timed("BE", at("2023-07-10"), trade("BE", "2023-Q1", imp, "IN", "7102.31", "100.00", "10000.00", 1)) // due 2023-06-01: late
	fix := trade("BE", "2023-Q1", imp, "IN", "7102.31", "110.00", "11000.00", 1)
	fix.Supersedes = &protocol.Supersedes{Seq: q1.Ref.Seq}
	corr := f.timed("BE", at("2023-08-01"), fix)
	q2 := f.timed("BE", at("2023-08-15"), trade("BE", "2023-Q2", imp, "IN", "7102.31", "100.00", "10000.00", 1))
	wd := f.timed("BE", at("2023-10-02"), &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: q2.Ref.Seq}, Reason: "wrong quarter"})
	rs := []Record{q1, corr, q2, wd}
	for _, q := range []string{"2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"} {
		rs = append(rs, f.timed("BE", quarter(q).Next().Start().Time().AddDate(0, 1, 0), trade("BE", q, imp, "IN", "7102.31", "100.00", "10000.00", 1)))
	}
	rs = append(rs,
		f.timed("BE", at("2024-03-29"), annual("BE", 2023, "R9/IN/BE/2023-Q1/7102.31")),
		f.timed("BW", at("2023-08-01"), production("BW", "2023-H1", "1000.00", "100000.00")),
		f.timed("IN", at("2023-04-20"), trade("IN", "2023-Q1", exp, "BE", "7102.31", "100.00", "10000.00", 1)),
	)
	return rs
}

func calendarConfig(c *Config) {
	c.Calendar.Start = day("2023-01-01")
	c.Calendar.TradeGraceDays = 30
	c.Calendar.Joined = map[string]protocol.Date{"SZ": day("2024-11-08")}
}

func periodOfCal(t *testing.T, c Calendar, code, ob, p string) PeriodStatus {
	t.Helper()
	for _, pc := range c.Parties {
		for _, op := range pc.Obligations {
			if pc.Code != code || op.Obligation != ob {
				continue
			}
			for _, ps := range op.Periods {
				if ps.Period == p {
					return ps
				}
			}
		}
	}
	t.Fatalf("no %s %s %s in the calendar", code, ob, p)
	return PeriodStatus{}
}

func TestCalendarTwoYears(t *testing.T) {
	s := newState(t, "IN", calendarConfig)
	s.SetParties([]string{"BE", "SZ", "bad"})
	s.AddAll(calendarRecords())
	c := s.Calendar(at("2025-04-15"))
	const tr, ar = "trade_statistics", "annual_report"
	tests := []struct {
		code, ob, period, status string
		received                 string
		days                     int
	}{
		{"BE", tr, "2023-Q1", StatusLate, "2023-07-10", 39}, // the correction keeps the first receipt
		{"BE", tr, "2023-Q2", StatusMissing, "", 592},       // withdrawn: missing again
		{"BE", tr, "2023-Q3", StatusOnTime, "2023-11-01", 0},
		{"BE", tr, "2024-Q4", StatusMissing, "", 45},
		{"BE", tr, "2025-Q1", StatusDue, "", 0},
		{"BE", tr, "2025-Q2", StatusOpen, "", 0},
		{"BE", ar, "2023", StatusOnTime, "2024-03-29", 0},
		{"BE", ar, "2024", StatusMissing, "", 14}, // due 2025-04-01, no grace
		{"SZ", tr, "2024-Q4", StatusMissing, "", 45},
		{"SZ", ar, "2024", StatusMissing, "", 14},
		{"IN", tr, "2023-Q1", StatusOnTime, "2023-04-20", 0},
		{"BW", "production_statistics", "2023-H1", StatusOnTime, "2023-08-01", 0},
		{"BW", "production_statistics", "2024-H2", StatusMissing, "", 45},
	}
	for _, tt := range tests {
		ps := periodOfCal(t, c, tt.code, tt.ob, tt.period)
		var rec time.Time
		if tt.received != "" {
			rec = at(tt.received)
		}
		if ps.Status != tt.status || !ps.Received.Equal(rec) || ps.DaysLate != tt.days {
			t.Errorf("%s %s %s = %+v, want %s received %s, %d days", tt.code, tt.ob, tt.period, ps, tt.status, tt.received, tt.days)
		}
	}
	// The partner that joined in November 2024 owes nothing before.
	for _, pc := range c.Parties {
		if pc.Code == "SZ" && (pc.Obligations[0].From != "2024-Q4" || pc.Obligations[2].From != "2024" || pc.Obligations[1].From != "") {
			t.Errorf("SZ %+v", pc.Obligations)
		}
	}
	codes := []string{}
	for _, pc := range c.Parties {
		codes = append(codes, pc.Code)
	}
	if !slices.Equal(codes, []string{"BE", "BW", "IN", "SZ"}) {
		t.Errorf("parties %v", codes)
	}
}

// TestCalendarLeapGrace checks the grace counted in days across 29
// February: 2023-Q4's statistics due 2024-02-01 are missing from 2 March
// in the leap year, 2022-Q4's from 3 March.
func TestCalendarLeapGrace(t *testing.T) {
	s := newState(t, "IN", func(c *Config) {
		c.StatisticsDueMonths = 1
		c.Calendar.TradeGraceDays = 30
		c.Calendar.Start = day("2022-10-01")
	})
	s.SetParties([]string{"BE"})
	c := s.Calendar(at("2024-06-01"))
	for p, want := range map[string]string{"2022-Q4": "2023-03-03", "2023-Q4": "2024-03-02"} {
		if ps := periodOfCal(t, c, "BE", "trade_statistics", p); ps.Missing.String() != want {
			t.Errorf("%s missing from %s, want %s", p, ps.Missing, want)
		}
	}
	if ps := periodOfCal(t, s.Calendar(at("2024-03-01")), "BE", "trade_statistics", "2023-Q4"); ps.Status != StatusOverdue {
		t.Errorf("2023-Q4 on 29 Feb + 1: %+v", ps)
	}
	if ps := periodOfCal(t, s.Calendar(at("2024-03-02")), "BE", "trade_statistics", "2023-Q4"); ps.Status != StatusMissing {
		t.Errorf("2023-Q4 on 2 March: %+v", ps)
	}
}

// TestCalendarFindings checks one R11 finding per partner and obligation
// after the grace, never one per quarter, and that it follows the clock.
func TestCalendarFindings(t *testing.T) {
	s := newState(t, "IN", calendarConfig)
	s.SetParties([]string{"BE", "SZ"})
	s.AddAll(calendarRecords())
	fs := ofRule(s.Findings(at("2025-04-15")), "R11")
	wantIDs(t, fs, "R11/BE/annual-report/missing", "R11/BE/trade-statistics/missing", "R11/BW/production-statistics/missing",
		"R11/BW/annual-report/missing", "R11/BW/trade-statistics/missing",
		"R11/IN/annual-report/missing", "R11/IN/trade-statistics/missing", "R11/SZ/annual-report/missing", "R11/SZ/trade-statistics/missing")
	for _, f := range fs {
		if strings.Trim(f.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-") != "" {
			t.Errorf("id %q outside [A-Za-z0-9./-]: an anomaly query or a cursor cannot cite it", f.ID)
		}
	}
	be := find(t, fs, "R11/BE/trade-statistics/missing")
	if be.Numbers["missing"] != "2023-Q2 2024-Q4" || !be.Since.Equal(at("2023-10-01")) || be.Partner != "BE" {
		t.Errorf("%+v", be)
	}
	// Within the 30 days' grace of 2024-Q4 (due 2025-03-01), BE lacks only 2023-Q2.
	if g := find(t, s.Findings(at("2025-03-30")), "R11/BE/trade-statistics/missing"); g.Numbers["missing"] != "2023-Q2" {
		t.Errorf("%+v", g)
	}
	// Before 2024's report was due, BE owed no annual report.
	if _, ok := s.Finding("R11/BE/annual-report/missing"); ok {
		t.Error("annual report missing before it was due")
	}
	if ps := periodOfCal(t, s.Calendar(at("2025-03-30")), "BE", "trade_statistics", "2024-Q4"); ps.Status != StatusOverdue || ps.DaysLate != 29 {
		t.Errorf("%+v", ps)
	}
}

// TestCalendarAnyOrder checks that the calendar and the R11 findings do
// not depend on the order in which records arrive.
func TestCalendarAnyOrder(t *testing.T) {
	recs := calendarRecords()
	want := func() (string, []Finding) {
		s := newState(t, "IN", calendarConfig)
		s.SetParties([]string{"SZ", "BE"})
		s.AddAll(recs)
		b, _ := json.Marshal(s.Calendar(at("2025-04-15")))
		return string(b), ofRule(s.Findings(at("2025-04-15")), "R11")
	}
	wantCal, wantFs := want()
	rng := rand.New(rand.NewPCG(19, 19))
	for range 20 {
		shuffled := slices.Clone(recs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		s := newState(t, "IN", calendarConfig)
		s.Findings(at("2024-01-01")) // a clock before, moved later
		for i, r := range shuffled {
			s.Add(r)
			if i == 3 {
				s.SetParties([]string{"BE", "SZ"})
			}
		}
		b, _ := json.Marshal(s.Calendar(at("2025-04-15")))
		if string(b) != wantCal {
			t.Fatalf("calendar depends on order:\n%s\nwant\n%s", b, wantCal)
		}
		if got := ofRule(s.Findings(at("2025-04-15")), "R11"); !slices.EqualFunc(got, wantFs, func(a, b Finding) bool { return a.equal(&b) }) {
			t.Fatalf("findings depend on order:\n%s\nwant\n%s", describe(got), describe(wantFs))
		}
	}
}

// TestAnsweredBy checks that a finding shows the current annual report
// that resolves it, and no longer once the report is withdrawn.
func TestAnsweredBy(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	const id = "R9/IN/BE/2023-Q1/7102.31"
	r := f.rec("BE", annual("BE", 2023, id, "R11/BE/trade-statistics/missing"))
	s.Add(r)
	got := s.AnsweredBy(id)
	if len(got) != 1 || got[0].Feed != "BE" || got[0].Seq != 1 || got[0].Key != "annual_report/BE/2023" {
		t.Fatalf("answered by %+v", got)
	}
	if s.AnsweredBy("R9/IN/BE/2023-Q2/7102.31") != nil {
		t.Error("answered by a report that does not cite it")
	}
	s.Add(f.rec("BE", &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: 1}, Reason: "x"}))
	if got := s.AnsweredBy(id); got != nil {
		t.Errorf("withdrawn report still answers: %+v", got)
	}
}

func TestCalendarConfigInvalid(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"calendar.trade_grace_days":         func(c *Config) { c.Calendar.TradeGraceDays = -1 },
		"calendar.annual_report_due_months": func(c *Config) { c.Calendar.AnnualReportDueMonths = 25 },
		"calendar.joined.XX":                func(c *Config) { c.Calendar.Joined = map[string]protocol.Date{"XX": day("2024-01-01")} },
		"calendar.joined.SZ":                func(c *Config) { c.Calendar.Joined = map[string]protocol.Date{"SZ": {}} },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDraftQueryMissing checks the anomaly query drafted for missing
// statistics: a valid record asking for the oldest period first; none for
// a missing annual report, which the questionnaire does not ask about.
func TestDraftQueryMissing(t *testing.T) {
	s := newState(t, "IN", calendarConfig)
	s.SetParties([]string{"BE", "SZ"})
	s.AddAll(calendarRecords())
	now := at("2025-04-15")
	s.Findings(now)
	for id, period := range map[string]string{"R11/BE/trade-statistics/missing": "2023-Q2", "R11/BW/production-statistics/missing": "2023-H2"} {
		q, ok := s.DraftQuery(id, "IN-AQ-2025-0001", now)
		if !ok || q.Period != period || q.Finding != id {
			t.Fatalf("%s: %+v %v", id, q, ok)
		}
		body, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseAnomalyQuery(body); err != nil {
			t.Errorf("%s: the drafted query is not a valid record: %v\n%s", id, err, body)
		}
	}
	if _, ok := s.DraftQuery("R11/BE/annual-report/missing", "IN-AQ-2025-0002", now); ok {
		t.Error("a query drafted for a missing annual report")
	}
}

// TestCalendarBackdated: a partner signs a late submission with a time
// before its deadline; the calendar judges it on when this node first
// held it, less the tolerance for sync lag (7 days by default): late.
// One held within the tolerance keeps its signed time; a tolerance of 0
// makes it late too. Both dates show. The result does not depend on the
// order of the records, nor on which of two submissions of one period,
// received at the same time, comes first.
func TestCalendarBackdated(t *testing.T) {
	f := feeds{}
	held := func(r Record, h string) Record { r.Held = at(h); return r }
	q3 := held(f.timed("BE", at("2023-11-20"), trade("BE", "2023-Q3", imp, "IN", "7102.31", "100.00", "10000.00", 1)), "2024-02-01")
	q4 := held(f.timed("BE", at("2024-02-25"), trade("BE", "2023-Q4", imp, "IN", "7102.31", "100.00", "10000.00", 1)), "2024-03-05")
	q4b := held(f.timed("BE", at("2024-02-27"), trade("BE", "2023-Q4", imp, "IN", "7102.21", "10.00", "100.00", 1)), "2024-03-05")
	recs := []Record{q3, q4, q4b}
	cal := func(tol int, rs []Record) Calendar {
		s := newState(t, "IN", func(c *Config) { calendarConfig(c); c.Calendar.ReceivedToleranceDays = tol })
		s.SetParties([]string{"BE"})
		s.AddAll(rs)
		return s.Calendar(at("2024-06-01"))
	}
	c := cal(7, recs)
	if ps := periodOfCal(t, c, "BE", "trade_statistics", "2023-Q3"); ps.Status != StatusLate || ps.DaysLate != 55 ||
		!ps.Signed.Equal(at("2023-11-20")) || !ps.Held.Equal(at("2024-02-01")) || !ps.Received.Equal(at("2024-01-25")) {
		t.Errorf("backdated 2023-Q3: %+v, want late by 55 days, received 2024-01-25", ps)
	}
	if ps := periodOfCal(t, c, "BE", "trade_statistics", "2023-Q4"); ps.Status != StatusOnTime || !ps.Received.Equal(at("2024-02-27")) {
		t.Errorf("2023-Q4 held within the tolerance: %+v, want on time", ps)
	}
	if ps := periodOfCal(t, cal(0, recs), "BE", "trade_statistics", "2023-Q4"); ps.Status != StatusLate {
		t.Errorf("2023-Q4 without tolerance: %+v, want late", ps)
	}
	want, _ := json.Marshal(c)
	for _, order := range [][]Record{{q4b, q4, q3}, {q3, q4b, q4}, {q4, q3, q4b}} {
		if got, _ := json.Marshal(cal(7, order)); string(got) != string(want) {
			t.Fatalf("order changed the calendar:\n%s\nwant\n%s", got, want)
		}
	}
}
