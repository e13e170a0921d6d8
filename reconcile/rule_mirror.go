package reconcile

import (
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// R9 mirror-statistics: A's exports to B against B's imports from A, per
// HS code, in carats, value and certificate count.
//
// Quarterly ("R9/<A>/<B>/<quarter>/<hs>"): once both have submitted the
// quarter, a measure that differs by more than mirror_quarterly_pct of the
// larger of the two is a discrepancy, each measure on its own.
//
// Yearly ("R9/<A>/<B>/<year>/<hs>"): once both have submitted the four
// quarters, carats differing by more than mirror_yearly_carats_pct or
// value by more than mirror_yearly_value_pct.
//
// A one-quarter lag (mirror_lag_retry) is shown as a possible explanation
// and never compared instead of the period: for each measure that broke
// its limit, in the direction of that measure's own difference (exports
// ahead: against B's imports one quarter later, goods in transit at the
// period's end; imports ahead: against A's exports one quarter earlier),
// the finding says whether the lagged figures are within the limit. A gap
// beyond its limit stays a finding whatever the neighbouring quarters say.
//
// Only pairs that include self are compared. A trade with the EU is
// compared at member or Union level (see eu.go).

// mirrorSide sums one side over consecutive quarters, and reports whether
// the reporter submitted all of them ("EU" sums every EU authority, see
// eu.go).
func (s *State) mirrorSide(reporter, partner string, flow uint8, hs string, from protocol.Quarter, n int) (figures, bool) {
	var f figures
	q := from
	for range n {
		if !s.unionSubmitted(reporter, q) {
			return f, false
		}
		f.plus(s.unionCell(cellKey{reporter, partner, flow, q, hs}))
		q = q.Next()
	}
	return f, true
}

// mirrorLimits are the percentages a comparison is held to; 0 skips a measure.
type mirrorLimits struct{ carats, value, certs Percent }

// Measures of a mirror comparison, in the order findings list them.
const (
	measureCarats = iota
	measureValue
	measureCerts
	measures
)

var measureNames = [measures]string{"carats", "value", "certificates"}

// limit returns the limit of measure m; 0 when m is not compared.
func (m mirrorLimits) limit(measure int) Percent {
	return [measures]Percent{m.carats, m.value, m.certs}[measure]
}

// of returns measure m of f.
func (f *figures) of(measure int) int64 {
	return [measures]int64{f.carats, f.value, f.certs}[measure]
}

// broken returns the measures of e against i beyond their limits.
func (m mirrorLimits) broken(e, i *figures) []int {
	var out []int
	for x := range measures {
		if lim := m.limit(x); lim > 0 && !within(e.of(x), i.of(x), lim) {
			out = append(out, x)
		}
	}
	return out
}

// measureKeys name the measures in Numbers keys.
var measureKeys = [measures]string{"carats", "value_usd", "certificates"}

// plainMeasure writes v as a decimal, for Numbers.
func plainMeasure(measure int, v int64) string {
	switch measure {
	case measureCarats:
		return protocol.Carats(v).String()
	case measureValue:
		return protocol.USD(v).String()
	}
	return itoa(v)
}

// formatMeasure writes v as carats, dollars or a count.
func formatMeasure(measure int, v int64) string {
	switch measure {
	case measureCarats:
		return protocol.Carats(v).String() + " ct"
	case measureValue:
		return "USD " + protocol.USD(v).String()
	}
	return itoa(v)
}

func (s *State) checkMirrorQuarter(k subjectKey) []Finding {
	if !s.involves(k.a, k.b) {
		return nil
	}
	if s.skipLevel(k.a, k.b, flowExport, k.q, 1, k.hs, true, nil) {
		return nil
	}
	th := s.cfg.forPartner(s.other(k.a, k.b))
	lim := mirrorLimits{th.mirrorQuarterly, th.mirrorQuarterly, th.mirrorQuarterly}
	return s.mirror(k, k.q, 1, lim, k.q.String())
}

func (s *State) checkMirrorYear(k subjectKey) []Finding {
	if !s.involves(k.a, k.b) {
		return nil
	}
	if s.skipLevel(k.a, k.b, flowExport, firstQuarterOf(k.year), 4, k.hs, true, nil) {
		return nil
	}
	th := s.cfg.forPartner(s.other(k.a, k.b))
	lim := mirrorLimits{carats: th.mirrorYearlyCts, value: th.mirrorYearlyValue}
	return s.mirror(k, firstQuarterOf(k.year), 4, lim, itoa(int64(k.year)))
}

// firstQuarterOf returns Q1 of year.
func firstQuarterOf(year int) protocol.Quarter {
	q, _ := protocol.ParseQuarter(sprintf("%04d-Q1", year))
	return q
}

// mirror compares n quarters from `from` of exporter k.a to importer k.b.
func (s *State) mirror(k subjectKey, from protocol.Quarter, n int, lim mirrorLimits, period string) []Finding {
	e, ok1 := s.mirrorSide(k.a, k.b, flowExport, k.hs, from, n)
	i, ok2 := s.mirrorSide(k.b, k.a, flowImport, k.hs, from, n)
	if !ok1 || !ok2 {
		return nil
	}
	broken := lim.broken(&e, &i)
	if len(broken) == 0 {
		return nil
	}
	f := newFinding(ruleMirror, k.a+"/"+k.b+"/"+period+"/"+k.hs, s.other(k.a, k.b))
	f.Numbers = mirrorNumbers(e, i)
	f.Numbers["threshold_carats_pct"], f.Numbers["threshold_value_pct"] = lim.carats.String(), lim.value.String()
	if lim.certs > 0 {
		f.Numbers["threshold_certificates_pct"] = lim.certs.String()
	}
	var raised, heads []string
	for _, x := range broken {
		raised = append(raised, measureNames[x])
		heads = append(heads, sprintf("%s %s %% apart (%s against %s, limit %s %%)", measureNames[x],
			f.Numbers[measureNames[x]+"_diff_pct"], formatMeasure(x, e.of(x)), formatMeasure(x, i.of(x)), lim.limit(x)))
	}
	f.Numbers["raised_by"] = strings.Join(raised, ",")
	rows := append(append([]*rec(nil), e.rows...), i.rows...)
	lag := "lag not considered (mirror_lag_retry off)"
	if s.cfg.MirrorLagRetry {
		lag = s.mirrorLag(k, from, n, lim, &e, &i, broken, f.Numbers, &rows)
	}
	if n > 1 {
		s.quarterBreakdown(k, from, n, f.Numbers)
	}
	f.Records, f.Since = statRefs(rows)
	f.Explanation = sprintf("%s: %s's %s exports of %s to %s against %s's imports from %s", strings.Join(heads, ", "), k.a, period, k.hs, k.b, k.b, k.a)
	if rest := unbroken(broken, f.Numbers); rest != "" {
		f.Explanation += "; within the limits: " + rest
	}
	f.Explanation += "; " + lag
	for _, note := range []string{basisNote(k, &e, &i, f.Numbers), rateNote(k, &e, &i, f.Numbers)} {
		if note != "" {
			f.Explanation += "; " + note
		}
	}
	return []Finding{f}
}

// mirrorLag judges, for each broken measure, whether goods in transit
// across the period's boundary can explain its gap. Exports ahead: goods
// still travelling at the period's end arrive in the next quarter, where
// the importer's figure then exceeds the exporter's by as much; imports
// ahead: goods that left in the previous quarter, where the exporter's
// figure exceeded the importer's. That excess, at most the gap, is carried
// back, and the gap without it is held to the limit. Comparing the period
// with the neighbouring quarter instead would "explain" any gap within the
// limit of a steady trade. It adds lag_<measure>_carried_<unit>,
// lag_<measure>_diff_pct and the neighbouring quarter's figures to nums
// and its rows to rows, and returns the sentence for the explanation.
func (s *State) mirrorLag(k subjectKey, from protocol.Quarter, n int, lim mirrorLimits, e, i *figures, broken []int, nums map[string]string, rows *[]*rec) string {
	next, prev := from, from.Prev()
	for range n {
		next = next.Next()
	}
	var says lagSays
	for _, x := range broken {
		ahead := e.of(x) > i.of(x)
		q, when, side := next, "next", k.b+"'s imports"
		if !ahead {
			q, when, side = prev, "previous", k.a+"'s exports"
		}
		ne, ok1 := s.mirrorSide(k.a, k.b, flowExport, k.hs, q, 1)
		ni, ok2 := s.mirrorSide(k.b, k.a, flowImport, k.hs, q, 1)
		if !ok1 || !ok2 {
			says.add(sprintf("cannot be judged: %s is not in from both sides yet", q), x, "")
			continue
		}
		*rows = append(*rows, ne.rows...)
		*rows = append(*rows, ni.rows...)
		key := measureKeys[x]
		nums[when+"_exporter_"+key], nums[when+"_importer_"+key] = plainMeasure(x, ne.of(x)), plainMeasure(x, ni.of(x))
		gap := absDiff(e.of(x), i.of(x))
		excess := ni.of(x) - ne.of(x) // goods that arrived late
		if !ahead {
			excess = ne.of(x) - ni.of(x) // goods that left early
		}
		carried := min(max(excess, 0), gap)
		a, b := e.of(x), i.of(x)+carried
		if !ahead {
			a, b = e.of(x)+carried, i.of(x)
		}
		diff := pctOf(absDiff(a, b), max(a, b))
		nums["lag_"+measureNames[x]+"_carried_"+lagUnit[x]] = plainMeasure(x, carried)
		nums["lag_"+measureNames[x]+"_diff_pct"] = diff
		figure := sprintf("in %s %s exceed the other side's by %s; without that %s %% apart", q, side, formatMeasure(x, max(excess, 0)), diff)
		if within(a, b, lim.limit(x)) {
			says.add("would explain the gap", x, figure)
		} else {
			says.add("does not explain the gap", x, figure)
		}
	}
	return says.String()
}

// lagUnit names the unit of a measure in lag_<measure>_carried_<unit>.
var lagUnit = [measures]string{"ct", "usd", "count"}

// lagSays gathers the verdicts of the lag per measure, grouped by verdict.
type lagSays []struct {
	verdict  string
	measures []string
	figures  []string
}

func (l *lagSays) add(verdict string, measure int, figure string) {
	for j := range *l {
		if g := &(*l)[j]; g.verdict == verdict {
			g.measures = append(g.measures, measureNames[measure])
			if figure != "" {
				g.figures = append(g.figures, figure)
			}
			return
		}
	}
	g := struct {
		verdict  string
		measures []string
		figures  []string
	}{verdict: verdict, measures: []string{measureNames[measure]}}
	if figure != "" {
		g.figures = []string{figure}
	}
	*l = append(*l, g)
}

func (l lagSays) String() string {
	var parts []string
	for _, g := range l {
		p := strings.Join(g.measures, " and ") + ": a one-quarter lag " + g.verdict
		if len(g.figures) > 0 {
			p += " (" + strings.Join(g.figures, "; ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// unbroken lists the measures not in broken with their differences.
func unbroken(broken []int, nums map[string]string) string {
	var out []string
	for x := range measures {
		if !slices.Contains(broken, x) {
			out = append(out, measureNames[x]+" "+nums[measureNames[x]+"_diff_pct"]+" %")
		}
	}
	return strings.Join(out, ", ")
}

// quarterBreakdown adds the differences of each quarter of a yearly
// comparison to nums: q1_carats_diff_pct, q1_value_diff_pct, ….
func (s *State) quarterBreakdown(k subjectKey, from protocol.Quarter, n int, nums map[string]string) {
	q := from
	for j := range n {
		e, ok1 := s.mirrorSide(k.a, k.b, flowExport, k.hs, q, 1)
		i, ok2 := s.mirrorSide(k.b, k.a, flowImport, k.hs, q, 1)
		if ok1 && ok2 {
			p := sprintf("q%d_", j+1)
			nums[p+"carats_diff_pct"] = pctOf(absDiff(e.carats, i.carats), max(e.carats, i.carats))
			nums[p+"value_diff_pct"] = pctOf(absDiff(e.value, i.value), max(e.value, i.value))
		}
		q = q.Next()
	}
}

func mirrorNumbers(e, i figures) map[string]string {
	return map[string]string{
		"exporter_carats": protocol.Carats(e.carats).String(), "importer_carats": protocol.Carats(i.carats).String(),
		"exporter_value_usd": protocol.USD(e.value).String(), "importer_value_usd": protocol.USD(i.value).String(),
		"exporter_certificates": itoa(e.certs), "importer_certificates": itoa(i.certs),
		"carats_diff_pct":       pctOf(absDiff(e.carats, i.carats), max(e.carats, i.carats)),
		"value_diff_pct":        pctOf(absDiff(e.value, i.value), max(e.value, i.value)),
		"certificates_diff_pct": pctOf(absDiff(e.certs, i.certs), max(e.certs, i.certs)),
	}
}

// statRefs returns the refs of rows, sorted and without repeats, and the
// newest entry time.
func statRefs(rows []*rec) ([]RecordRef, time.Time) {
	sortRecs(rows)
	out := []RecordRef{}
	var t time.Time
	for i, r := range rows {
		if i > 0 && rows[i-1] == r {
			continue
		}
		out = append(out, refOf(r))
		t = latest(t, r.when())
	}
	return out, t
}
