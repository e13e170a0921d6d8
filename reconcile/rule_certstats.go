package reconcile

import (
	"github.com/kpnode/kpnode/protocol"
)

// R10 certificates-vs-statistics: the certificates of a (partner, quarter,
// HS code) against the statistics row the reporter submitted for it, in
// carats, value and certificate count; a residual above cert_stats_pct of
// the larger figure is flagged ("R10/<reporter>/<flow>/<partner>/<quarter>/<hs>").
//
// Exports count the exporter's certificates to the partner by issue
// quarter; imports count the partner's certificates whose goods the
// reporter imported, by the quarter of the confirmation's received date
// (the issue quarter while unconfirmed). A row is checked only when the
// reporter has submitted the quarter, self is the reporter or the partner,
// and the exporter's own certificate records are here from that quarter
// on: otherwise the node does not hold the whole set of certificates.
func (s *State) checkCertStats(k subjectKey) []Finding {
	if !s.involves(k.a, k.b) || !s.submitted(k.a, k.q) {
		return nil
	}
	exporter, importer, sums := k.a, k.b, s.expAgg
	if k.flow == flowImport {
		exporter, importer, sums = k.b, k.a, s.impAgg
	}
	info, ok := s.shares(exporter)
	if !ok || k.q.Compare(info.firstQ) < 0 {
		return nil
	}
	var certs agg
	if a := sums[aggKey{issuer: exporter, other: importer, q: k.q, hs: k.hs}]; a != nil {
		certs = *a
	}
	stat := s.cell(cellKey{k.a, k.b, k.flow, k.q, k.hs})
	th := s.cfg.forPartner(s.other(k.a, k.b))
	if within(certs.carats, stat.carats, th.certStats) && within(certs.value, stat.value, th.certStats) &&
		within(certs.count, stat.certs, th.certStats) {
		return nil
	}
	f := newFinding(ruleCertStats, k.a+"/"+flowName(k.flow)+"/"+k.b+"/"+k.q.String()+"/"+k.hs, s.other(k.a, k.b))
	f.Records, f.Since = statRefs(stat.rows)
	f.Numbers = map[string]string{
		"statistics_carats": protocol.Carats(stat.carats).String(), "certificates_carats": protocol.Carats(certs.carats).String(),
		"statistics_value_usd": protocol.USD(stat.value).String(), "certificates_value_usd": protocol.USD(certs.value).String(),
		"statistics_certificates": itoa(stat.certs), "certificates_count": itoa(certs.count),
		"carats_residual_pct": pctOf(absDiff(certs.carats, stat.carats), max(certs.carats, stat.carats)),
		"value_residual_pct":  pctOf(absDiff(certs.value, stat.value), max(certs.value, stat.value)),
		"threshold_pct":       th.certStats.String(),
	}
	f.Explanation = sprintf("%s's %s statistics %s %s %s: %s ct / USD %s / %d certificates reported, the certificates add up to %s ct / USD %s / %d",
		k.a, flowName(k.flow), toFrom(k.flow), k.b, k.q, protocol.Carats(stat.carats), protocol.USD(stat.value), stat.certs,
		protocol.Carats(certs.carats), protocol.USD(certs.value), certs.count)
	if k.hs != "" {
		f.Explanation += " (" + k.hs + ")"
	}
	return []Finding{f}
}

func toFrom(flow uint8) string {
	if flow == flowExport {
		return "to"
	}
	return "from"
}
