package reconcile

import (
	"strconv"

	"github.com/kpnode/kpnode/protocol"
)

// R8 unit-value-outlier: each line of a certificate is placed in the group
// of its origin (MIXED for mixed or several origins), HS code and issue
// year. With at least unit_value_min_sample lines in the group, the
// reference is the group's median log(USD/ct) and the line is an outlier
// beyond ×1/unit_value_band … ×unit_value_band of it or beyond a robust
// z-score of unit_value_z (z = 0.6745 × (x − median) / MAD, the MAD at
// least 5 %). Before that, the reference is the table's figure for the
// origin (WORLD for MIXED), the line's HS code and the nearest earlier
// year, with the band only. Without a row for the HS code the origin's
// all-quality average is used, from one side only: a national average
// mixes gem and industrial goods (DRC: USD 7/ct overall, gem lines
// 20-50), so it bounds gem lines (7102.31) from below and industrial lines
// (7102.21) from above, and unsorted goods (7102.10) from both. The
// finding shows the reference's HS code, year and source. One finding per
// outlier line: "R8/<issuer>/<number>/<line>".
func (s *State) checkUnitValue(sl *slot, out []Finding) []Finding {
	cr := sl.contrib.cert
	if cr == nil {
		return out
	}
	s.lines = s.linesOf(cr.cert(), s.lines[:0])
	lines := s.lines
	for _, lr := range lines {
		ref := &lr.g.ref
		if ref.inside(lr.bin) {
			continue
		}
		l := cr.cert().lines()[lr.line]
		f := s.certFinding(ruleUnitValue, sl, sprintf("/%d", lr.line+1))
		f.Numbers = s.unitValueNumbers(lr, l)
		f.Explanation = sprintf("%s line %d (%s, origin %s, %d): USD %s/ct, %s a reference of USD %s/ct (%s)",
			sl.name(), lr.line+1, l.HSCode, lr.g.key.origin, lr.g.key.year, perCarat(l.ValueUSD, l.Carats),
			outsideText(ref, f.Numbers), f.Numbers["reference_usd_per_carat"], refSource(ref, lr.g.key))
		out = append(out, f)
	}
	return out
}

// flagOutliers keeps sl among the flagged slots of each group in which
// it has an outlier line, and out of the others, after checkUnitValue
// computed its lines (s.lines): a group's flagged slots are evaluated
// again when the group's reference moves (updateGroup).
func (s *State) flagOutliers(sl *slot) {
	if sl.contrib.cert == nil {
		return
	}
	lines := s.lines
	for i, lr := range lines {
		if i > 0 && lines[i-1].g == lr.g {
			continue // lines of one group are usually adjacent; a repeat is harmless
		}
		outlier := false
		for _, x := range lines {
			outlier = outlier || x.g == lr.g && !x.g.ref.inside(x.bin)
		}
		if outlier {
			lr.g.flagged[sl] = struct{}{}
		} else if len(lr.g.flagged) > 0 {
			delete(lr.g.flagged, sl)
		}
	}
}

func (s *State) unitValueNumbers(lr lineRef, l protocol.CertificateLine) map[string]string {
	ref := &lr.g.ref
	c := float64(ref.center)
	n := map[string]string{
		"line": itoa(int64(lr.line + 1)), "hs_code": l.HSCode, "origin": lr.g.key.origin,
		"carats": l.Carats.String(), "value_usd": l.ValueUSD.String(),
		"usd_per_carat":            perCarat(l.ValueUSD, l.Carats).String(),
		"reference_usd_per_carat":  binUSD(c).String(),
		"band_low_usd_per_carat":   binUSD(c - float64(ref.bandLimit)).String(),
		"band_high_usd_per_carat":  binUSD(c + float64(ref.bandLimit)).String(),
		"limit_low_usd_per_carat":  binUSD(c - float64(ref.limit)).String(),
		"limit_high_usd_per_carat": binUSD(c + float64(ref.limit)).String(),
	}
	if ref.kind == refTable {
		n["reference_usd_per_carat"] = ref.tableUSD.String()
		n["reference_year"] = itoa(int64(ref.tableYear))
		n["reference_hs_code"] = ref.tableHS
		n["reference_origin"] = ref.tableFrom
		if ref.tableSource != "" {
			n["reference_source"] = ref.tableSource
		}
		switch ref.side {
		case sideBelow:
			delete(n, "limit_high_usd_per_carat")
			delete(n, "band_high_usd_per_carat")
		case sideAbove:
			delete(n, "limit_low_usd_per_carat")
			delete(n, "band_low_usd_per_carat")
		}
	}
	if ref.kind == refSample {
		z := madToSigma * float64(lr.bin-ref.center) / float64(max(ref.mad, uvMinMAD))
		n["robust_z"] = strconv.FormatFloat(z, 'f', 2, 64)
		n["z_limit"] = strconv.FormatFloat(s.cfg.UnitValueZ, 'f', 2, 64)
	}
	return n
}

// outsideText says which limit a line broke.
func outsideText(ref *uvRef, n map[string]string) string {
	switch ref.side {
	case sideBelow:
		return sprintf("below the limit of USD %s/ct under", n["limit_low_usd_per_carat"])
	case sideAbove:
		return sprintf("above the limit of USD %s/ct over", n["limit_high_usd_per_carat"])
	}
	return sprintf("outside USD %s … %s/ct around", n["limit_low_usd_per_carat"], n["limit_high_usd_per_carat"])
}

func refSource(ref *uvRef, k groupKey) string {
	switch ref.kind {
	case refSample:
		return sprintf("median of the %s %s lines of %d", k.origin, k.hs, k.year)
	case refTable:
		src := sprintf("reference table: %s %s %d", ref.tableFrom, hsLabel(ref.tableHS), ref.tableYear)
		if ref.tableSource != "" {
			src += ", " + ref.tableSource
		}
		switch ref.side {
		case sideBelow:
			src += "; an all-quality average bounds " + k.hs + " lines from below only"
		case sideAbove:
			src += "; an all-quality average bounds " + k.hs + " lines from above only"
		}
		return src
	}
	return "none"
}

func hsLabel(hs string) string {
	if hs == allQualities {
		return "all qualities"
	}
	return hs
}
