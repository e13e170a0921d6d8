package reconcile

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// R10 certificates-vs-statistics: the certificates of a (partner, quarter,
// HS code) against the statistics row the reporter submitted for it, in
// carats, value and certificate count, each on its own; a residual above
// cert_stats_pct of the larger figure is flagged
// ("R10/<reporter>/<flow>/<partner>/<quarter>/<hs>").
//
// Exports count the exporter's certificates to the partner by issue
// quarter; imports count the partner's certificates whose goods the
// reporter confirmed it received, by the quarter of the received date. A
// certificate not yet confirmed is not an import: it is left out of the
// sums, and named in the finding of its destination's import row for its
// issue quarter, since a reporter that counts goods it never confirmed is
// the likeliest cause of such a residual. A row is checked only when the
// reporter has submitted the quarter, self is the reporter or the partner,
// and the exporter's own certificate records are here from that quarter
// on: otherwise the node does not hold the whole set of certificates.
func (s *State) checkCertStats(k subjectKey) []Finding {
	if !s.involves(k.a, k.b) || !s.unionSubmitted(k.a, k.q) {
		return nil
	}
	exporter, importer, sums := k.a, k.b, s.expAgg
	if k.flow == flowImport {
		exporter, importer, sums = k.b, k.a, s.impAgg
	}
	addressedToEU := func(q protocol.Quarter) bool {
		ue, ui := toUnion(exporter, importer)
		return sums[aggKey{ue, ui, q, k.hs}] != nil
	}
	if s.skipLevel(k.a, k.b, k.flow, k.q, 1, k.hs, false, addressedToEU) || !s.sharesFrom(exporter, k.q) {
		return nil
	}
	certs := s.unionAgg(sums, exporter, importer, k.q, k.hs)
	stat := s.unionCell(cellKey{k.a, k.b, k.flow, k.q, k.hs})
	th := s.cfg.forPartner(s.other(k.a, k.b))
	c := figures{carats: certs.carats, value: certs.value, certs: certs.count}
	lim := mirrorLimits{th.certStats, th.certStats, th.certStats}
	broken := lim.broken(&c, &stat)
	if len(broken) == 0 {
		return nil
	}
	f := newFinding(ruleCertStats, k.a+"/"+flowName(k.flow)+"/"+k.b+"/"+k.q.String()+"/"+k.hs, s.other(k.a, k.b))
	f.Records, f.Since = statRefs(stat.rows)
	f.Numbers = certStatsNumbers(&c, &stat, th.certStats)
	var raised, heads []string
	for _, x := range broken {
		raised = append(raised, measureNames[x])
		heads = append(heads, sprintf("%s %s %% apart (%s reported, the certificates %s)", measureNames[x],
			f.Numbers[measureNames[x]+"_residual_pct"], formatMeasure(x, stat.of(x)), formatMeasure(x, c.of(x))))
	}
	f.Numbers["raised_by"] = strings.Join(raised, ",")
	f.Explanation = sprintf("%s: %s's %s statistics %s %s %s", strings.Join(heads, ", "), k.a, flowName(k.flow), toFrom(k.flow), k.b, k.q)
	if k.hs != "" {
		f.Explanation += " (" + k.hs + ")"
	}
	f.Explanation += sprintf(" against its certificates, limit %s %%", th.certStats)
	if k.flow == flowImport {
		f.Explanation += s.pendingNote(exporter, importer, k.q, k.hs, c, stat, lim, f.Numbers)
	}
	return []Finding{f}
}

// sharesFrom reports whether the exporter's own certificate records are
// here from quarter q on; for "EU", those of at least one EU authority.
func (s *State) sharesFrom(exporter string, q protocol.Quarter) bool {
	for _, c := range expand(exporter) {
		if info, ok := s.shares(c); ok && q.Compare(info.firstQ) >= 0 {
			return true
		}
	}
	return false
}

// unionAgg sums the certificate cells of exporter to importer, "EU"
// standing for every EU code.
func (s *State) unionAgg(sums map[aggKey]*agg, exporter, importer string, q protocol.Quarter, hs string) agg {
	var out agg
	for _, e := range expand(exporter) {
		for _, i := range expand(importer) {
			if a := sums[aggKey{e, i, q, hs}]; a != nil {
				out.carats += a.carats
				out.value += a.value
				out.count += a.count
			}
		}
	}
	return out
}

func certStatsNumbers(certs, stat *figures, limit Percent) map[string]string {
	return map[string]string{
		"statistics_carats": protocol.Carats(stat.carats).String(), "certificates_carats": protocol.Carats(certs.carats).String(),
		"statistics_value_usd": protocol.USD(stat.value).String(), "certificates_value_usd": protocol.USD(certs.value).String(),
		"statistics_certificates": itoa(stat.certs), "certificates_count": itoa(certs.certs),
		"carats_residual_pct":       pctOf(absDiff(certs.carats, stat.carats), max(certs.carats, stat.carats)),
		"value_residual_pct":        pctOf(absDiff(certs.value, stat.value), max(certs.value, stat.value)),
		"certificates_residual_pct": pctOf(absDiff(certs.certs, stat.certs), max(certs.certs, stat.certs)),
		"threshold_pct":             limit.String(),
	}
}

// maxNamed bounds the certificates a finding names.
const maxNamed = 10

// pendingNote describes the unconfirmed certificates of exporter to
// importer issued in q, which the import sums leave out, and adds their
// figures to nums. With them counted, it says whether the residual would
// be within lim.
func (s *State) pendingNote(exporter, importer string, q protocol.Quarter, hs string, certs, stat figures, lim mirrorLimits, nums map[string]string) string {
	pc := &pendingCell{}
	var names []string
	for _, e := range expand(exporter) {
		for _, i := range expand(importer) {
			if p := s.pending[aggKey{e, i, q, hs}]; p != nil {
				pc.carats += p.carats
				pc.value += p.value
				pc.count += p.count
				for sl := range p.slots {
					names = append(names, sl.name())
				}
			}
		}
	}
	if pc.count == 0 {
		return ""
	}
	key := aggKey{exporter, importer, q, hs}
	slices.Sort(names)
	nums["unconfirmed_certificates"] = itoa(pc.count)
	nums["unconfirmed_carats"] = protocol.Carats(pc.carats).String()
	nums["unconfirmed_value_usd"] = protocol.USD(pc.value).String()
	more := ""
	if len(names) > maxNamed {
		more = sprintf(" and %d more", len(names)-maxNamed)
		names = names[:maxNamed]
	}
	nums["unconfirmed_named"] = strings.Join(names, " ")
	what, are := "certificates", "are"
	if pc.count == 1 {
		what, are = "certificate", "is"
	}
	out := sprintf("; %d %s to %s issued in %s (%s ct, USD %s) %s not confirmed and not counted: %s%s",
		pc.count, what, key.other, key.q, protocol.Carats(pc.carats), protocol.USD(pc.value), are, strings.Join(names, ", "), more)
	with := figures{carats: certs.carats + pc.carats, value: certs.value + pc.value, certs: certs.certs + pc.count}
	closes := len(lim.broken(&with, &stat)) == 0
	nums["unconfirmed_explain_residual"] = strconv.FormatBool(closes)
	if closes {
		out += " — counting them, the statistics agree with the certificates"
	}
	return out
}

func toFrom(flow uint8) string {
	if flow == flowExport {
		return "to"
	}
	return "from"
}
