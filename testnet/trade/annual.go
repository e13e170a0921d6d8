package trade

import (
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Annual reports. Every node with partners sends them its annual report on
// KPCS implementation for every year of the window whose report is due by
// Now (31 March of the next year, reconcile's default), at least the
// latest, and for the year after it when that one falls due within the
// two weeks the ground truth holds, so that no report falls due
// unanswered meanwhile. A reporter owes reports from the first year it
// sent one, so clean trade misses none.

// reportYears returns the years every node reports, in order: those of
// the window due at now (at least the latest due) and, when the next falls
// due within two weeks, that one too.
func reportYears(from protocol.Date, now time.Time) []int {
	last := now.Year() - 1
	if now.Before(reportDue(last)) {
		last--
	}
	var years []int
	for y := min(from.Year, last); y <= last; y++ {
		years = append(years, y)
	}
	if now.AddDate(0, 0, 14).Compare(reportDue(last+1)) >= 0 {
		years = append(years, last+1)
	}
	return years
}

// lastDue returns the latest year of years whose report is due at now.
func lastDue(years []int, now time.Time) int {
	y := years[len(years)-1]
	if now.Before(reportDue(y)) {
		y--
	}
	return y
}

// reportDue returns when the annual report of year is due: 1 April of the
// next year (by 31 March).
func reportDue(year int) time.Time { return time.Date(year+1, time.April, 1, 0, 0, 0, 0, time.UTC) }

// annualReports returns every node's reports to its partners: those of
// reportYears, or, for a node given a missing report, those before the
// latest due (the year before it when there are none) and the one falling
// due within two weeks, if any.
func (g *generator) annualReports() []Item {
	var out []Item
	years := reportYears(g.cal.from, g.cal.now)
	last := lastDue(years, g.cal.now)
	for _, p := range g.opt.Participants {
		if len(g.nodes[p].partners) == 0 {
			continue
		}
		ys := years
		if g.inj.noReport[p] {
			ys = slices.DeleteFunc(slices.Clone(years), func(y int) bool { return y == last })
			if last == years[0] {
				ys = append([]int{last - 1}, ys...)
			}
		}
		for _, y := range ys {
			out = append(out, Item{Author: p, To: slices.Clone(g.nodes[p].partners), Type: protocol.AnnualReportType,
				Step: stepReports, body: annualReport(p, y)})
		}
	}
	return out
}

func annualReport(p string, year int) *protocol.AnnualReport {
	return &protocol.AnnualReport{Version: 1, Reporter: p, Year: year, Sections: protocol.ReportSections{
		Legislation:   "The KPCS is implemented by the national diamond law; no change in " + fmt.Sprint(year) + ".",
		Regime:        "Every parcel is checked against its KP certificate at import and export.",
		Statistics:    "Quarterly trade statistics were submitted for " + fmt.Sprint(year) + ".",
		Enforcement:   "Forged certificates presented at import were reported to partners.",
		ReviewVisits:  "No review visit took place.",
		Discrepancies: "Mirror gaps were explained by goods in transit at the end of a quarter.",
		Artisanal:     "Not applicable.",
	}}
}

// injectMissingReport has a node with partners send its annual report for
// the year before reportYears and none since: one R11 finding at the node
// and at every partner.
func (g *generator) injectMissingReport() bool {
	var free []string
	for _, p := range g.opt.Participants {
		// An EU authority's report would be met by the Union's, and the
		// reverse (reconcile's calendar takes the EU as one participant).
		if len(g.nodes[p].partners) > 0 && !g.inj.noReport[p] && !euAuthority(p) {
			free = append(free, p)
		}
	}
	if len(free) == 0 {
		return false
	}
	p := pick(g, free)
	g.inj.noReport[p] = true
	g.inj.add(func() []Expected {
		last := lastDue(reportYears(g.cal.from, g.cal.now), g.cal.now)
		note := fmt.Sprintf("%s sent its annual report for %d but none for %d", p, last-1, last)
		return []Expected{expect("R11/"+p+"/annual-report/missing", reconcile.Warning, note, append([]string{p}, g.nodes[p].partners...)...)}
	})
	return true
}
