package reconcile

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// R9 mirror-statistics: A's exports to B against B's imports from A, per
// HS code, in carats, value and certificate count.
//
// Quarterly ("R9/<A>/<B>/<quarter>/<hs>"): once both have submitted the
// quarter, a figure that differs by more than mirror_quarterly_pct of the
// larger of the two is a discrepancy. Before flagging it, the comparison is
// retried with a one-quarter lag (mirror_lag_retry): when exports exceed
// imports, against B's imports of the next quarter (goods in transit at the
// quarter's end), which waits until B has submitted that quarter; when
// imports exceed exports, against A's exports of the previous quarter.
// A discrepancy that the lagged comparison explains is not flagged.
//
// Yearly ("R9/<A>/<B>/<year>/<hs>"): once both have submitted the four
// quarters, carats differing by more than mirror_yearly_carats_pct or
// value by more than mirror_yearly_value_pct, with the same lag retry
// (the year shifted by one quarter).
//
// Only pairs that include self are compared.

// mirrorSide sums one side over consecutive quarters, and reports whether
// the reporter submitted all of them.
func (s *State) mirrorSide(reporter, partner string, flow uint8, hs string, from protocol.Quarter, n int) (figures, bool) {
	var f figures
	q := from
	for range n {
		if !s.submitted(reporter, q) {
			return f, false
		}
		f.plus(s.cell(cellKey{reporter, partner, flow, q, hs}))
		q = q.Next()
	}
	return f, true
}

// mirrorLimits are the percentages a comparison is held to; 0 skips a measure.
type mirrorLimits struct{ carats, value, certs Percent }

func (m mirrorLimits) exceeded(e, i figures) bool {
	return m.carats > 0 && !within(e.carats, i.carats, m.carats) ||
		m.value > 0 && !within(e.value, i.value, m.value) ||
		m.certs > 0 && !within(e.certs, i.certs, m.certs)
}

// exportsAhead reports whether the exporter's side is the larger, by carats,
// then value, then certificates.
func exportsAhead(e, i figures) bool {
	switch {
	case e.carats != i.carats:
		return e.carats > i.carats
	case e.value != i.value:
		return e.value > i.value
	}
	return e.certs > i.certs
}

func (s *State) checkMirrorQuarter(k subjectKey) []Finding {
	if !s.involves(k.a, k.b) {
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
	th := s.cfg.forPartner(s.other(k.a, k.b))
	lim := mirrorLimits{carats: th.mirrorYearlyCts, value: th.mirrorYearlyValue}
	q1, _ := protocol.ParseQuarter(sprintf("%04d-Q1", k.year))
	return s.mirror(k, q1, 4, lim, itoa(int64(k.year)))
}

// mirror compares n quarters from `from` of exporter k.a to importer k.b.
func (s *State) mirror(k subjectKey, from protocol.Quarter, n int, lim mirrorLimits, period string) []Finding {
	e, ok1 := s.mirrorSide(k.a, k.b, flowExport, k.hs, from, n)
	i, ok2 := s.mirrorSide(k.b, k.a, flowImport, k.hs, from, n)
	if !ok1 || !ok2 || !lim.exceeded(e, i) {
		return nil
	}
	var lagE, lagI *figures
	if s.cfg.MirrorLagRetry {
		if exportsAhead(e, i) {
			li, ok := s.mirrorSide(k.b, k.a, flowImport, k.hs, from.Next(), n)
			if !ok {
				return nil // the importer's next quarter is not in yet: retry then
			}
			if !lim.exceeded(e, li) {
				return nil
			}
			lagI = &li
		} else if le, ok := s.mirrorSide(k.a, k.b, flowExport, k.hs, from.Prev(), n); ok {
			if !lim.exceeded(le, i) {
				return nil
			}
			lagE = &le
		}
	}
	f := newFinding(ruleMirror, k.a+"/"+k.b+"/"+period+"/"+k.hs, s.other(k.a, k.b))
	f.Numbers = mirrorNumbers(e, i)
	f.Numbers["threshold_carats_pct"], f.Numbers["threshold_value_pct"] = lim.carats.String(), lim.value.String()
	if lim.certs > 0 {
		f.Numbers["threshold_certificates_pct"] = lim.certs.String()
	}
	rows := append(append([]*rec(nil), e.rows...), i.rows...)
	lag := "no lagged comparison was possible"
	if lagI != nil {
		f.Numbers["lagged_importer_carats"], f.Numbers["lagged_importer_value_usd"] = protocol.Carats(lagI.carats).String(), protocol.USD(lagI.value).String()
		rows = append(rows, lagI.rows...)
		lag = "nor against " + k.b + "'s imports one quarter later"
	}
	if lagE != nil {
		f.Numbers["lagged_exporter_carats"], f.Numbers["lagged_exporter_value_usd"] = protocol.Carats(lagE.carats).String(), protocol.USD(lagE.value).String()
		rows = append(rows, lagE.rows...)
		lag = "nor against " + k.a + "'s exports one quarter earlier"
	}
	if !s.cfg.MirrorLagRetry {
		lag = "lag retry off"
	}
	f.Records, f.Since = statRefs(rows)
	f.Explanation = sprintf("%s %s exports to %s %s ct / USD %s, %s's imports %s ct / USD %s (carats %s %%, value %s %%); %s",
		k.a, period, k.b, protocol.Carats(e.carats), protocol.USD(e.value), k.b, protocol.Carats(i.carats), protocol.USD(i.value),
		f.Numbers["carats_diff_pct"], f.Numbers["value_diff_pct"], lag)
	return []Finding{f}
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
