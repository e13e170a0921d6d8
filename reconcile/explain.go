package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Explain returns the current finding id with a longer, multi-line
// explanation: what the rule compares and with which thresholds, every
// figure, the records, and the causes worth checking before suspecting
// fraud (for mirror statistics: CIF vs FOB valuation, timing, transit and
// re-export attribution, HS classification, exchange-rate date). ok is
// false when no such finding is current.
func (s *State) Explain(id string) (f Finding, text string, ok bool) {
	h, ok := s.active[id]
	if !ok {
		return Finding{}, "", false
	}
	f = h.f.clone()
	var b strings.Builder
	info := ruleInfo(f.Rule)
	fmt.Fprintf(&b, "%s\n%s %s, %s", f.ID, f.Rule, f.RuleName, f.Severity)
	if f.Partner != "" {
		fmt.Fprintf(&b, ", partner %s", f.Partner)
	}
	if !f.Since.IsZero() {
		fmt.Fprintf(&b, ", since %s", f.Since.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "\n\n%s\n\nRule: %s.\n", f.Explanation, info.Doc)
	if len(f.Numbers) > 0 {
		b.WriteString("\nFigures:\n")
		keys := sortedKeys(f.Numbers)
		width := 0
		for _, k := range keys {
			width = max(width, len(k))
		}
		for _, k := range keys {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, k, f.Numbers[k])
		}
	}
	if len(f.Records) > 0 {
		b.WriteString("\nRecords:\n")
		for _, r := range f.Records {
			item := ""
			if r.Item != 0 {
				item = fmt.Sprintf(" item %d", r.Item)
			}
			key := r.Key
			if key == "" {
				key = r.Type
			}
			fmt.Fprintf(&b, "  %s  (feed %s, entry %d%s)\n", key, r.Feed, r.Seq, item)
		}
	}
	if causes := s.causes(h); len(causes) > 0 {
		b.WriteString("\nBefore suspecting fraud, check:\n")
		for _, c := range causes {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
	}
	return f, b.String(), true
}

func ruleInfo(id string) RuleInfo {
	for _, r := range ruleTable {
		if r.ID == id {
			return r
		}
	}
	return RuleInfo{}
}

// causes lists the honest explanations worth ruling out for a finding,
// annotated with what the figures say where they say something.
func (s *State) causes(h *held) []string {
	f := &h.f
	switch f.Rule {
	case "R1":
		return []string{
			"a keying error in either authority's record (compare the paper certificate)",
			"weighing differences beyond tolerance: scales, rounding of parcel weights",
			"the inspection report of the importing authority (seals, contents) before assuming substitution or pilferage",
		}
	case "R2":
		return []string{
			"the importing authority may not have recorded its confirmation yet, or recorded it under another number format",
			"the shipment may still be in transit or held by customs; ask the importing authority",
			"a certificate cancelled or never used should be withdrawn by its issuer",
		}
	case "R3":
		return []string{
			"the issuer's record may not have reached this node yet (see the partner's delivery status)",
			"the certificate may predate the history the issuer shared, or the number may be mistyped",
			"otherwise ask the purported issuer to confirm, compare with the notified specimen, and consider a fraudulent-certificate notice",
		}
	case "R4":
		return []string{
			"a correction recorded as a new record instead of superseding the earlier one",
			"a confirmation recorded by the wrong authority",
		}
	case "R5":
		return []string{"the effective dates of the notices involved", "whether the participant's conditions (e.g. zone-based exports) allow the trade"}
	case "R6":
		return []string{"a mistyped date (day and month swapped, wrong year)", "a certificate extended or reissued without a new record"}
	case "R7":
		return []string{"the HS code chosen for mixed parcels", "a value entered per carat instead of per line, or in another currency"}
	case "R8":
		return s.unitValueCauses(f)
	case "R9":
		return s.mirrorCauses(h)
	case "R10":
		return []string{
			"certificates issued or confirmed but not yet recorded here, or recorded twice",
			"statistics compiled on another date basis (export or arrival date rather than issue or received date)",
			"cancelled certificates still counted in the statistics",
			"a later correction of the statistics not yet received",
		}
	case "R11":
		if strings.HasSuffix(f.ID, "/missing") {
			return []string{"a late or lost submission: check the reporter's delivery status, then send the drafted anomaly query with a due date"}
		}
		return []string{"a single large shipment or a seasonal pattern", "a change of reporting basis or a correction", "a keying error in either quarter"}
	case "R12":
		return []string{
			"sales from stock built up in earlier periods (raise production_stock_pct if that is normal for the producer)",
			"goods of mixed or foreign origin certified as of the producer's own origin",
			"production statistics not yet corrected or submitted for the half",
		}
	}
	return nil
}

func (s *State) unitValueCauses(f *Finding) []string {
	c := []string{
		"an exceptional stone or parcel quality (large or coloured stones lift a line far above the average)",
		"a line of boart or near-gem under the wrong HS code",
		"a value in another currency or per carat instead of per line",
		"under- or over-valuation, the concern behind this check (transfer pricing, money laundering)",
	}
	if z := f.Numbers["robust_z"]; z != "" {
		c = append(c, fmt.Sprintf("the robust z-score is %s against a limit of %s", z, f.Numbers["z_limit"]))
	}
	return c
}

// mirrorCauses annotates the five honest causes of mirror discrepancies
// with what the figures suggest.
func (s *State) mirrorCauses(h *held) []string {
	n := h.f.Numbers
	k := h.subj
	caratsOK := n["carats_diff_pct"] != "" && !pctAbove(n["carats_diff_pct"], n["threshold_carats_pct"])
	valueOK := n["value_diff_pct"] != "" && !pctAbove(n["value_diff_pct"], n["threshold_value_pct"])
	cif := "CIF vs FOB valuation: imports are often valued CIF (with freight and insurance), exports FOB, so imports run a few percent higher"
	if caratsOK && !valueOK {
		cif += " — carats agree and only the value differs, which fits"
	}
	timing := "timing: shipments that leave in one quarter and arrive in the next"
	switch {
	case n["lagged_importer_carats"] != "":
		timing += fmt.Sprintf(" — already retried against the importer's next quarter (%s ct), which does not explain it", n["lagged_importer_carats"])
	case n["lagged_exporter_carats"] != "":
		timing += fmt.Sprintf(" — already retried against the exporter's previous quarter (%s ct), which does not explain it", n["lagged_exporter_carats"])
	}
	transit := "transit and re-export attribution: the importer records provenance (the country shipped from), so goods routed through a hub appear as imports from the hub, not from " + k.a
	hs := "HS classification: the same goods under 7102.10 (unsorted) on one side and 7102.21 or 7102.31 on the other"
	if k.kind == subjMirrorQ || k.kind == subjMirrorY {
		if e, i, ok := s.mirrorAllHS(k); ok {
			verdict := "differ as well, so classification alone does not explain it"
			if within(e, i, s.cfg.forPartner(h.f.Partner).mirrorQuarterly) {
				verdict = "agree, so classification is the likely cause"
			}
			hs += fmt.Sprintf(" — across all HS codes the two sides report %s ct and %s ct, which %s", protocol.Carats(e), protocol.Carats(i), verdict)
		}
	}
	fx := "exchange-rate date: values converted to USD at the invoice, shipment or arrival date"
	if caratsOK && !valueOK {
		fx += " — fits a value-only difference"
	}
	out := []string{cif, timing, transit, hs, fx}
	if n["certificates_diff_pct"] != "" && caratsOK && n["certificates_diff_pct"] != "0.00" {
		out = append(out, "certificate count: shipments split or merged, or one certificate counted under two HS codes")
	}
	return out
}

// mirrorAllHS sums the carats of both sides over every HS code for the
// finding's period.
func (s *State) mirrorAllHS(k subjectKey) (exp, imp int64, ok bool) {
	from, n := k.q, 1
	if k.kind == subjMirrorY {
		from, _ = protocol.ParseQuarter(fmt.Sprintf("%04d-Q1", k.year))
		n = 4
	}
	for _, hs := range protocol.HSCodes() {
		e, ok1 := s.mirrorSide(k.a, k.b, flowExport, hs, from, n)
		i, ok2 := s.mirrorSide(k.b, k.a, flowImport, hs, from, n)
		if !ok1 || !ok2 {
			return 0, 0, false
		}
		exp += e.carats
		imp += i.carats
	}
	return exp, imp, true
}

// pctAbove compares two decimal percentages such as "12.34" and "20".
func pctAbove(a, limit string) bool {
	if a == "inf" {
		return true
	}
	x, err1 := ParsePercent(strings.TrimPrefix(a, "-"))
	y, err2 := ParsePercent(limit)
	return err1 == nil && err2 == nil && x > y
}
