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
	f.Explanation += productionSplit(prod, exp.carats-limit, f.Numbers)
	return []Finding{f}
}

// productionSplit adds the artisanal and industrial parts of prod, where
// the producer reports them, to nums (artisanal_carats, …,
// artisanal_share_pct, and artisanal_shortfall_pct: how far short the
// artisanal part would have to be recorded to explain the excess over the
// limit) and returns the clause for the explanation; "" without a split.
// Artisanal and alluvial production (many small diggers selling to
// informal buyers) is the part most often recorded short; industrial
// production is weighed at the mine.
func productionSplit(prod *protocol.ProductionStatistics, excess int64, nums map[string]string) string {
	a, i := prod.Artisanal, prod.Industrial
	if a == nil || i == nil {
		return ""
	}
	nums["artisanal_carats"], nums["artisanal_value_usd"] = a.Carats.String(), a.ValueUSD.String()
	nums["industrial_carats"], nums["industrial_value_usd"] = i.Carats.String(), i.ValueUSD.String()
	nums["artisanal_share_pct"] = pctOf(int64(a.Carats), int64(prod.Carats))
	if a.Carats == 0 {
		return sprintf("; all of its production is industrial (%s ct), weighed at the mine", i.Carats)
	}
	short := pctOf(excess, int64(a.Carats)+excess)
	nums["artisanal_shortfall_pct"] = short
	return sprintf("; its production splits into %s ct artisanal and alluvial (%s %%) and %s ct industrial: the artisanal part recorded %s %% short would explain the excess",
		a.Carats, nums["artisanal_share_pct"], i.Carats, short)
}
