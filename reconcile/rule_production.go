package reconcile

import (
	"github.com/kpnode/kpnode/protocol"
)

// R12 production-vs-exports: a producer's certificates of its own origin
// (a single origin equal to the issuer) in a half-year against the
// production it reported for that half; exports above production plus
// production_stock_pct of it (sales from stock) are flagged
// ("R12/<producer>/<half>"). Only certificates held here count, so the
// figure is a lower bound and the check never overstates.
func (s *State) checkProduction(k subjectKey) []Finding {
	rows := s.prod[phKey{k.a, k.h}]
	exp := s.ownExp[phKey{k.a, k.h}]
	if len(rows) == 0 || exp == nil {
		return nil
	}
	p := rows[len(rows)-1]
	prod := p.prod()
	limit := int64(prod.Carats) + int64(prod.Carats)/10000*int64(s.cfg.ProductionStockPct) +
		int64(prod.Carats)%10000*int64(s.cfg.ProductionStockPct)/10000
	if exp.carats <= limit {
		return nil
	}
	f := newFinding(ruleProduction, k.a+"/"+k.h.String(), s.other(k.a, k.a))
	f.Records, f.Since = statRefs([]*rec{p})
	f.Numbers = map[string]string{
		"production_carats": prod.Carats.String(), "production_value_usd": prod.ValueUSD.String(),
		"exports_carats": protocol.Carats(exp.carats).String(), "exports_value_usd": protocol.USD(exp.value).String(),
		"certificates": itoa(exp.count), "limit_carats": protocol.Carats(limit).String(),
		"stock_pct": s.cfg.ProductionStockPct.String(),
	}
	f.Explanation = sprintf("%s exported %s ct of its own origin in %s (%d certificates), more than its production of %s ct plus %s %% stock",
		k.a, protocol.Carats(exp.carats), k.h, exp.count, prod.Carats, s.cfg.ProductionStockPct)
	return []Finding{f}
}
