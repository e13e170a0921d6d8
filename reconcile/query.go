package reconcile

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpnode/kpnode/protocol"
)

// DraftQuery drafts the anomaly query (the Working Group on Statistics'
// Data Anomaly Questionnaire) for a current statistics finding: mirror
// statistics (R9), certificates against statistics (R10), period over
// period and missing statistics (R11; not a missing annual report), production against exports (R12).
// The query is due anomaly_query_due_days after now, carries the rule and
// the finding's id, and uses reference as its reference (the caller's
// numbering, such as "IN-AQ-2026-0012"). It is addressed to the finding's
// Partner, or to self's own statistics team when Partner is empty. ok is
// false for other findings or an unknown id.
func (s *State) DraftQuery(id, reference string, now time.Time) (q protocol.AnomalyQuery, ok bool) {
	h, ok := s.active[id]
	if !ok {
		return q, false
	}
	full, k := s.finding(h), h.subject()
	f := &full
	q = protocol.AnomalyQuery{
		Version: 1, Reference: reference, Rule: f.Rule, Finding: f.ID,
		Due: protocol.DateOf(now.UTC().AddDate(0, 0, s.cfg.AnomalyQueryDueDays)),
	}
	n := f.Numbers
	switch k.kind {
	case subjMirrorQ, subjMirrorY:
		period := k.q.String()
		q.Period = period
		if k.kind == subjMirrorY {
			period = itoa(int64(k.year))
			q.Period = sprintf("%04d-Q4", k.year)
		}
		q.Subject = sprintf("Mirror statistics %s exports to %s, %s, %s", k.a, k.b, period, k.hs)
		q.Figure = sprintf("%s exports to %s and %s imports from %s, %s, carats and value", k.a, k.b, k.b, k.a, k.hs)
		q.Observed = headline(f)
		q.Question = "Your figures and ours for this trade differ beyond the agreed threshold. Could you confirm your figures and tell us the valuation basis (CIF or FOB), the exchange-rate date and the HS codes used, whether any of these shipments were in transit at the end of the period, and whether any transited a third country?"
	case subjCertStats:
		q.Period = k.q.String()
		q.Subject = sprintf("Statistics against certificates, %s %s %s %s", k.a, flowName(k.flow), toFrom(k.flow), k.b)
		q.Figure = sprintf("%s %s %s %s, %s, carats, value and certificates", k.a, flowName(k.flow)+"s", toFrom(k.flow), k.b, k.hs)
		q.Observed = headline(f)
		q.Question = "The statistics reported for this quarter do not add up to the certificates recorded for it. Could you check for certificates missing from the record, cancelled certificates, or a different date basis, and send a correction if needed?"
		if named := n["unconfirmed_named"]; named != "" {
			q.Question += sprintf(" These certificates have no import confirmation and are not counted: %s. If you received the goods, please confirm them.",
				strings.ReplaceAll(named, " ", ", "))
		}
	case subjChange:
		q.Period = k.q.String()
		q.Subject = sprintf("Quarter-on-quarter change, %s %s %s %s", k.a, flowName(k.flow)+"s", toFrom(k.flow), k.b)
		q.Figure = sprintf("%s %s %s %s, %s", k.a, flowName(k.flow)+"s", toFrom(k.flow), k.b, k.hs)
		q.Observed = sprintf("%s %% in carats and %s %% in value against %s", n["carats_change_pct"], n["value_change_pct"], k.q.Prev())
		q.Question = "This figure changed sharply against the previous quarter. Could you confirm it and explain the change (a large shipment, a change of reporting, a correction)?"
	case subjMissing:
		if Obligation(k.flow) == AnnualReportObligation {
			return protocol.AnomalyQuery{}, false // an anomaly query asks about statistics
		}
		oldest := strings.Fields(n["missing"])[0]
		q.Period = oldest
		q.Subject = sprintf("Missing %s, %s", Obligation(k.flow).noun(), k.a)
		q.Figure = Obligation(k.flow).noun() + " (KPCS Annex III)"
		q.Observed = sprintf("none received for %s", n["missing"])
		q.Question = sprintf("We have not received your %s for %s, the oldest due %s. Could you submit them or tell us when to expect them?",
			Obligation(k.flow).noun(), listPeriods(strings.Fields(n["missing"])), n["oldest_due"])
	case subjProduction:
		q.Period = k.h.String()
		q.Subject = sprintf("Exports of own origin above production, %s %s", k.a, k.h)
		q.Figure = sprintf("%s production and exports of %s origin", k.a, k.a)
		q.Observed = sprintf("exports %s ct against production %s ct", n["exports_carats"], n["production_carats"])
		q.Question = "Certificates of your own origin in this half-year exceed your reported production plus usual stock. Could you confirm the production figure and the stock sold, and whether any of these goods were of other origin?"
	default:
		return protocol.AnomalyQuery{}, false
	}
	q.Subject, q.Figure, q.Observed = clip(q.Subject, 200), clip(q.Figure, 200), clip(q.Observed, 200)
	return q, true
}

// headline returns the part of a statistics finding's explanation that
// names the measures that raised it and their sizes.
func headline(f *Finding) string {
	h, _, _ := strings.Cut(f.Explanation, ": ")
	return h
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
