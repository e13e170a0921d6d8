package trade

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// TestYearMatchesTruth replays a year of trade with and without
// anomalies into each node's reconciliation State and checks that the
// findings and calendars are exactly the expected ones: quarterly and
// yearly mirror comparisons with the lag verdict of each,
// quarter-on-quarter changes of clean trade, every anomaly spread over the
// window, late and missing submissions. Records are added all at once in a
// shuffled order: the live order is checked on short windows
// (TestFindingsMatchTruth), and a year of it costs a minute under the race
// detector.
func TestYearMatchesTruth(t *testing.T) {
	kinds := map[string]int{} // what the R9 expectations cover
	for i, c := range []struct {
		top       topology
		now       string
		days, anm int
	}{
		{topologies[1], nows[1], 365, 36},
		{topologies[2], nows[2], 365, 24},
	} {
		o := Options{Participants: c.top.parts, Links: c.top.links, Seed: int64(100 + i), Anomalies: c.anm, Now: mustTime(c.now), Days: c.days}
		t.Run(fmt.Sprintf("%s/%s/%dd/anomalies=%d", c.top.name, c.now, c.days, c.anm), func(t *testing.T) {
			p := mustGenerate(t, o)
			if c.top.name == "mesh5" {
				checkYearShape(t, p)
			}
			tallyMirror(p, kinds)
			bodies := parseAll(t, p)
			var total Score
			for _, code := range p.Options.Participants {
				recs := held(p, bodies, code)
				rand.New(rand.NewPCG(uint64(i), 2)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
				st := newState(t, code)
				st.AddAll(recs)
				st.SetParties(partnersOf(p, code))
				for _, at := range []time.Duration{0, 14 * 24 * time.Hour} {
					s := Compare(p.Expected, code, st.Findings(p.Options.Now.Add(at)))
					if !s.OK() {
						t.Errorf("%s at Now+%v:\n%s", code, at, s)
					}
					total.Merge(s)
				}
				checkCalendar(t, p, code, "shuffled", st, 14*24*time.Hour)
			}
			t.Logf("%d items, %d expected findings\n%s", len(p.Items), len(p.Expected), total)
		})
	}
	for _, k := range []string{"yearly", "would explain the gap", "does not explain the gap", "cannot be judged"} {
		if kinds[k] == 0 {
			t.Errorf("no mirror finding of kind %q expected in the year's cases (%v)", k, kinds)
		}
	}
}

// tallyMirror counts p's R9 expectations by lag verdict, and the yearly ones.
func tallyMirror(p *Plan, kinds map[string]int) {
	for _, e := range p.Expected {
		if e.Rule != "R9" {
			continue
		}
		if parts := strings.Split(e.ID, "/"); !strings.Contains(parts[3], "Q") {
			kinds["yearly"]++
		}
		for _, v := range []string{"would explain the gap", "does not explain the gap", "cannot be judged"} {
			if strings.Contains(e.Explains, v) {
				kinds[v]++
			}
		}
	}
}

// checkYearShape checks a year of trade on five nodes: every trading
// partner reports every quarter of the window to the other (one reporter
// skips one, the injected missing quarter), producers report every
// half-year, every node sends the annual report of every year due (one
// misses the latest), anomalies fall in every closed quarter, and
// the calendar truth names late statistics, the missing quarter and the
// missing annual report.
func checkYearShape(t *testing.T, p *Plan) {
	t.Helper()
	now := p.Options.Now
	cal := newCalendar(now, p.Options.Days)
	quarters := map[string]bool{} // "reporter/partner/quarter" reported
	halves := map[string]bool{}   // "producer/half"
	reports := map[string]bool{}  // "reporter/year"
	issued := map[string]protocol.Date{}
	for _, v := range parseAll(t, p) {
		switch r := v.(type) {
		case *protocol.TradeStatistics:
			quarters[r.Reporter+"/"+r.Partner+"/"+r.Period.String()] = true
		case *protocol.ProductionStatistics:
			halves[r.Reporter+"/"+r.Period.String()] = true
		case *protocol.AnnualReport:
			reports[fmt.Sprintf("%s/%d", r.Reporter, r.Year)] = true
		case *protocol.Certificate:
			issued[r.Issuer+"/"+r.Number] = r.Issued
		}
	}
	skipped, noReport := injectedGaps(t, p)
	var absent []string
	for _, a := range five {
		for _, b := range five {
			for _, q := range cal.quarters() {
				if k := a + "/" + b + "/" + q.String(); a != b && !quarters[k] {
					absent = append(absent, k)
				}
			}
		}
	}
	if len(cal.quarters()) < 4 || len(absent) != len(five)-1 || !strings.HasPrefix(absent[0], skipped[0]+"/") {
		t.Errorf("quarters %v: unreported %v, want only the skipped quarter of %v", cal.quarters(), absent, skipped)
	}
	for _, prod := range []string{"BW", "ZA"} {
		for _, h := range cal.halves() {
			if !halves[prod+"/"+h.String()] {
				t.Errorf("no production of %s for %s", prod, h)
			}
		}
	}
	years := reportYears(cal.from, now)
	for _, c := range five {
		for _, y := range years {
			if got := reports[fmt.Sprintf("%s/%d", c, y)]; got == (c == noReport && y == lastDue(years, now)) {
				t.Errorf("annual report of %s for %d: sent %v (missing report: %s)", c, y, got, noReport)
			}
		}
	}
	checkAnomalyQuarters(t, p, issued, cal)
	checkYearCalendar(t, p, skipped[0], noReport)
}

// injectedGaps returns the reporters of the missing trade statistics and
// the node of the missing annual report, from the truth.
func injectedGaps(t *testing.T, p *Plan) (skipped []string, noReport string) {
	t.Helper()
	for _, e := range p.Expected {
		parts := strings.Split(e.ID, "/")
		switch {
		case e.Rule == "R11" && len(parts) == 4 && parts[2] == "trade-statistics":
			skipped = append(skipped, parts[1])
		case e.Rule == "R11" && len(parts) == 4 && parts[2] == "annual-report":
			noReport = parts[1]
		}
	}
	if len(skipped) != 1 || noReport == "" {
		t.Fatalf("missing statistics of %v and annual report of %q: want one of each", skipped, noReport)
	}
	return skipped, noReport
}

// checkAnomalyQuarters checks that the injected shipments (R1–R8) and
// statistics (R10) fall in every statistics quarter of the window.
func checkAnomalyQuarters(t *testing.T, p *Plan, issued map[string]protocol.Date, cal calendar) {
	t.Helper()
	in := map[protocol.Quarter]bool{}
	for _, e := range p.Expected {
		parts := strings.Split(e.ID, "/")
		switch {
		case e.Rule == "R10":
			q, _ := protocol.ParseQuarter(parts[4])
			in[q] = true
		case len(e.Rule) == 2 && e.Rule != "R9" && len(parts) >= 3:
			if d, ok := issued[parts[1]+"/"+parts[2]]; ok {
				in[protocol.QuarterOf(d)] = true
			}
		}
	}
	for _, q := range cal.quarters() {
		if !in[q] {
			t.Errorf("no anomaly in %s (anomalies in %v)", q, in)
		}
	}
}

// checkYearCalendar checks that the calendar truth holds late trade
// statistics, the skipped quarter and the missing annual report, at the
// reporter and its partners.
func checkYearCalendar(t *testing.T, p *Plan, skipped, noReport string) {
	t.Helper()
	late, missing := map[string]int{}, map[string][]string{}
	for _, c := range p.Calendar {
		late[c.Obligation] += len(c.Late)
		if len(c.Missing) > 0 {
			missing[c.Party+"/"+c.Obligation] = append(missing[c.Party+"/"+c.Obligation], c.Observer)
		}
	}
	if late[protocol.TradeStatisticsType] == 0 || late[protocol.ProductionStatisticsType] == 0 || late[protocol.AnnualReportType] == 0 {
		t.Errorf("late periods by obligation %v: want some of each", late)
	}
	want := map[string][]string{skipped + "/trade_statistics": five, noReport + "/annual_report": five}
	if !reflect.DeepEqual(missing, want) {
		t.Errorf("missing periods at %v, want %v", missing, want)
	}
}
