package reconcile

import (
	"math/bits"

	"github.com/kpnode/kpnode/protocol"
)

// HS codes of rough diamonds with a quality meaning.
const (
	industrialHS = "7102.21"
	gemHS        = "7102.31"
)

// R7 arithmetic-classification: a certificate's totals must equal the sums
// of its lines ("R7/<issuer>/<number>"; the protocol rejects such bodies,
// so this guards records built elsewhere); an industrial line (7102.21)
// priced above industrial_max_usd_per_ct, or a gem line (7102.31) priced
// below gem_min_usd_per_ct, is probably misclassified
// ("R7/<issuer>/<number>/<line>", lines counted from 1).
func (s *State) checkArithmetic(sl *slot, out []Finding) []Finding {
	cr := sl.canonicalCert()
	if cr == nil {
		return out
	}
	c := cr.cert()
	var carats, value int64
	for _, l := range c.lines() {
		carats += int64(l.Carats)
		value += int64(l.ValueUSD)
	}
	if carats != int64(c.totalCarats()) || value != int64(c.totalValueUSD()) {
		f := s.certFinding(ruleArithmetic, sl, "")
		f.Numbers = map[string]string{
			"total_carats": c.totalCarats().String(), "lines_carats": protocol.Carats(carats).String(),
			"total_value_usd": c.totalValueUSD().String(), "lines_value_usd": protocol.USD(value).String(),
		}
		f.Explanation = sprintf("%s totals %s ct / USD %s, but its lines add up to %s ct / USD %s",
			sl.name(), c.totalCarats(), c.totalValueUSD(), protocol.Carats(carats), protocol.USD(value))
		out = append(out, f)
	}
	for i, l := range c.lines() {
		var why string
		switch {
		case l.HSCode == industrialHS && unitAbove(l.ValueUSD, l.Carats, s.cfg.IndustrialMaxUSDPerCarat):
			why = sprintf("industrial line (7102.21) at USD %s/ct, above the industrial ceiling of USD %s/ct: priced like gem quality",
				perCarat(l.ValueUSD, l.Carats), s.cfg.IndustrialMaxUSDPerCarat)
		case l.HSCode == gemHS && unitBelow(l.ValueUSD, l.Carats, s.cfg.GemMinUSDPerCarat):
			why = sprintf("gem line (7102.31) at USD %s/ct, below the gem floor of USD %s/ct: priced like industrial goods",
				perCarat(l.ValueUSD, l.Carats), s.cfg.GemMinUSDPerCarat)
		default:
			continue
		}
		f := s.certFinding(ruleArithmetic, sl, sprintf("/%d", i+1))
		f.Numbers = map[string]string{
			"line": itoa(int64(i + 1)), "hs_code": l.HSCode, "carats": l.Carats.String(), "value_usd": l.ValueUSD.String(),
			"usd_per_carat":                perCarat(l.ValueUSD, l.Carats).String(),
			"industrial_max_usd_per_carat": s.cfg.IndustrialMaxUSDPerCarat.String(),
			"gem_min_usd_per_carat":        s.cfg.GemMinUSDPerCarat.String(),
		}
		f.Explanation = sprintf("%s line %d: %s", sl.name(), i+1, why)
		out = append(out, f)
	}
	return out
}

// unitValue returns value per carat, to the cent (truncated).
func perCarat(value protocol.USD, carats protocol.Carats) protocol.USD {
	if carats <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(max(value, 0)), 100)
	if hi >= uint64(carats) {
		return protocol.USD(1<<63 - 1)
	}
	q, _ := bits.Div64(hi, lo, uint64(carats))
	return protocol.USD(min(q, 1<<63-1))
}

// unitAbove reports whether value/carats > limit (USD per carat), exactly:
// value (cents) / carats (hundredths) is USD per carat, so compare
// value × 1 with limit/100 × carats, i.e. value × 100 > limit × carats.
func unitAbove(value protocol.USD, carats protocol.Carats, limit protocol.USD) bool {
	return mulCompare(int64(value), 100, int64(limit), int64(carats)) > 0
}

func unitBelow(value protocol.USD, carats protocol.Carats, limit protocol.USD) bool {
	return mulCompare(int64(value), 100, int64(limit), int64(carats)) < 0
}

// mulCompare compares a×b with c×d for non-negative operands, in 128 bits.
func mulCompare(a, b, c, d int64) int {
	lh, ll := bits.Mul64(uint64(max(a, 0)), uint64(max(b, 0)))
	rh, rl := bits.Mul64(uint64(max(c, 0)), uint64(max(d, 0)))
	switch {
	case lh > rh || lh == rh && ll > rl:
		return 1
	case lh == rh && ll == rl:
		return 0
	}
	return -1
}
