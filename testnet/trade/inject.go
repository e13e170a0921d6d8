package trade

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"

	"github.com/kpnode/kpnode/reconcile"
)

// maxOutliers caps the injected outlier lines of one unit-value group
// (R7, R8). A group a node compares against its own median holds at least
// unit_value_min_sample (20) lines; with fewer than half of them outliers
// the median stays among the clean lines, and so does every verdict.
const maxOutliers = 9

// anomaly is one injected anomaly. expect runs once the plan is complete
// (certificate numbers assigned, statistics applied) and returns the
// findings it must raise.
type anomaly struct {
	expect func() []Expected
}

// injections tracks the anomalies and what they have taken, so that no
// two of them interfere.
type injections struct {
	list     []*anomaly
	baseline book                          // the clean statistics, to choose cells from …
	baseKeys []cell                        // … and their cells in order
	cells    map[pairCell]bool             // mirror comparisons taken (R9, R10, R11)
	skipped  map[string]protocol.Quarter   // reporters that skip a quarter of the window (R11 missing)
	gaps     map[string]bool               // reporters given a missing quarter before the window (R11 missing) …
	gapsTo   map[string]bool               // … and the partners they sent the quarter before it to
	noReport map[string]bool               // nodes whose annual report is missing (R11 missing)
	halves   map[half]bool                 // production figures taken (R12)
	outliers map[groupKey]int              // outlier lines per unit-value group (R7, R8)
	watched  map[string]bool               // authors of the enhanced-vigilance notice (R5)
	forged   map[string]bool               // forged certificate numbers (R3)
	reports  []func(book, map[half]figure) // statistics anomalies, applied in order
}

// injector injects the k-th anomaly of one rule and reports whether it
// could.
type injector struct {
	rule string
	add  func(k int) bool
}

// inject spreads opt.Anomalies round-robin over the rules R1..R12, skipping
// a rule once it has nothing left to inject into.
func (g *generator) inject() error {
	g.inj = injections{
		baseline: g.statistics(), cells: map[pairCell]bool{}, skipped: map[string]protocol.Quarter{},
		gaps: map[string]bool{}, gapsTo: map[string]bool{}, noReport: map[string]bool{},
		halves: map[half]bool{}, outliers: map[groupKey]int{}, watched: map[string]bool{}, forged: map[string]bool{},
	}
	g.inj.baseKeys = g.inj.baseline.keys()
	rules := g.injectors()
	counts := make([]int, len(rules)) // -1 once a rule has nothing left
	done := 0
	for done < g.opt.Anomalies {
		progress := false
		for i, r := range rules {
			if done == g.opt.Anomalies || counts[i] < 0 {
				continue
			}
			if !r.add(counts[i]) {
				counts[i] = -1
				continue
			}
			counts[i]++
			done++
			progress = true
		}
		if !progress {
			return badOption("anomalies", "%d asked for, but this topology and window allow only %d", g.opt.Anomalies, done)
		}
	}
	return nil
}

func (g *generator) injectors() []injector {
	return []injector{
		{"R1", g.injectMatch}, {"R2", g.injectUnconfirmed}, {"R3", g.injectUnknown}, {"R4", g.injectDuplicate},
		{"R5", g.injectEligibility}, {"R6", g.injectDates}, {"R7", g.injectClassification}, {"R8", g.injectOutlier},
		{"R9", g.injectMirror}, {"R10", g.injectCertStats}, {"R11", g.injectPeriods}, {"R12", g.injectProduction},
	}
}

// applyReports applies the statistics anomalies to the final statistics.
func (inj *injections) applyReports(b book, prod map[half]figure) {
	for _, f := range inj.reports {
		f(b, prod)
	}
}

// add records an anomaly by what it must raise.
func (inj *injections) add(expect func() []Expected) {
	inj.list = append(inj.list, &anomaly{expect: expect})
}

// expected gathers the findings of every anomaly and those rule R9 raises
// from the final statistics stats (the anomalies' and the gaps of goods in
// transit), merging the observers of a finding raised twice, sorted by ID.
func (g *generator) expected(stats book) []Expected {
	var all []Expected
	for _, a := range g.inj.list {
		all = append(all, a.expect()...)
	}
	vs := g.views(stats)
	all = append(all, g.mirrorExpected(vs)...)
	all = append(all, g.changeExpected(vs)...)
	byID := map[string]Expected{}
	for _, e := range all {
		if have, ok := byID[e.ID]; ok {
			have.Observers = union(have.Observers, e.Observers)
			if !strings.Contains(have.Note, e.Note) {
				have.Note += "; " + e.Note
			}
			have.Explains = cmp.Or(have.Explains, e.Explains)
			e = have
		}
		e.Observers = union(nil, e.Observers)
		byID[e.ID] = e
	}
	out := make([]Expected, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Expected) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// union returns the sorted union of a and b without repeats.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// expect builds one expectation.
func expect(id string, sev reconcile.Severity, note string, observers ...string) Expected {
	rule, _, _ := strings.Cut(id, "/")
	return Expected{ID: id, Rule: rule, Severity: sev, Observers: observers, Note: note}
}

// pickRoute returns a random trading route for which ok holds, trying each
// once; false when none does.
func (g *generator) pickRoute(ok func(a, b string) bool) (a, b string, found bool) {
	start := g.rng.IntN(len(g.routes))
	for i := range g.routes {
		r := g.routes[(start+i)%len(g.routes)]
		if ok(r[0], r[1]) {
			return r[0], r[1], true
		}
	}
	return "", "", false
}

func anyRoute(string, string) bool { return true }

// slotID is the part of a finding id that names a certificate.
func slotID(rule string, s *shipment) string { return rule + "/" + s.issuer + "/" + s.number }

func lineID(rule string, s *shipment, line int) string {
	return fmt.Sprintf("%s/%d", slotID(rule, s), line+1)
}
