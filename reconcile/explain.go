package reconcile

import (
	"fmt"
	"slices"
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
	f = s.finding(h)
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
			if l := r.ItemLabel(); l != "" {
				item = " " + l
			}
			key := r.Key
			if key == "" {
				key = r.Type
			}
			fmt.Fprintf(&b, "  %s  (feed %s, entry %d%s)\n", key, r.Feed, r.Seq, item)
		}
	}
	if h.subject().kind == subjMirrorY {
		s.quarterLines(&b, h.subject())
	}
	if causes := s.causes(h, &f); len(causes) > 0 {
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

// causes lists the honest explanations worth ruling out for the finding h,
// read as f, annotated with what the figures say where they say something.
func (s *State) causes(h *held, f *Finding) []string {
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
		return s.mirrorCauses(h, f.Numbers)
	case "R10":
		return certStatsCauses(f)
	case "R11":
		if strings.HasSuffix(f.ID, "/missing") {
			return []string{"a late or lost submission: check the reporter's delivery status, then send the drafted anomaly query with a due date"}
		}
		return []string{"a single large shipment or a seasonal pattern", "a change of reporting basis or a correction", "a keying error in either quarter"}
	case "R12":
		return productionCauses(f.Numbers)
	}
	return nil
}

// productionCauses lists the honest causes of an R12 excess; artisanal
// production recorded short first where the producer's split shows an
// artisanal part, last where all of it is industrial.
func productionCauses(n map[string]string) []string {
	out := []string{
		"sales from stock built up in earlier periods (raise production_stock_pct if that is normal for the producer)",
		"goods of mixed or foreign origin certified as of the producer's own origin",
		"production statistics not yet corrected or submitted for the half",
	}
	switch {
	case n["artisanal_shortfall_pct"] != "":
		return append([]string{fmt.Sprintf("artisanal and alluvial production (%s ct, %s %% of the half's) recorded short, as informal digging and buying often is: %s %% short would explain the excess",
			n["artisanal_carats"], n["artisanal_share_pct"], n["artisanal_shortfall_pct"])}, out...)
	case n["artisanal_carats"] != "":
		return append(out, "artisanal production recorded short — unlikely here: all of the half's production is industrial, weighed at the mine")
	}
	return out
}

// certStatsCauses lists the honest causes of an R10 residual, unconfirmed
// certificates first when counting them closes it.
func certStatsCauses(f *Finding) []string {
	out := []string{
		"certificates issued or confirmed but not yet recorded here",
		"statistics compiled on another date basis (export or arrival date rather than issue or received date)",
		"cancelled certificates still counted in the statistics",
		"a later correction of the statistics not yet received",
	}
	n := f.Numbers
	if n["unconfirmed_certificates"] == "" {
		return out
	}
	c := fmt.Sprintf("unconfirmed certificates (%s): the importer may count goods it has not confirmed; ask it to confirm them (see their R2 findings)",
		strings.ReplaceAll(n["unconfirmed_named"], " ", ", "))
	if n["unconfirmed_explain_residual"] == "true" {
		return append([]string{c + " — counting them closes the residual"}, out...)
	}
	return append(out, c+" — counting them does not close the residual")
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

// Sizes of the honest causes of mirror discrepancies, in percent of value:
// freight and insurance on diamonds are about 1 % of it (CIF vs FOB), and
// the dollar moves a few percent at most between an invoice, a shipment
// and an arrival date.
const (
	cifPct = 1_00
	fxPct  = 5_00
)

// How much of a gap a cause can explain; a cause about a measure that did
// not raise the finding is listed last.
const (
	notConcerned = iota - 1
	explainsNone
	explainsPart
	explainsAll
)

// cause is one honest explanation and how much of the gap it can explain.
type cause struct {
	text  string
	score int
}

// mirrorCauses lists the honest causes of a mirror discrepancy, each with
// the size it can plausibly explain set against the measures that raised
// the finding, the most plausible first.
func (s *State) mirrorCauses(h *held, n map[string]string) []string {
	raised := strings.Split(n["raised_by"], ",")
	has := func(m string) bool { return slices.Contains(raised, m) }
	cs := []cause{s.certCountCause(n, has), cifCause(n, has), timingCause(n, raised), transitCause(h.subject().a, has), s.hsCause(h, raised, n), fxCause(n, has)}
	if c, ok := basisCause(n); ok {
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(a, b cause) int { return b.score - a.score })
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.text
	}
	return out
}

func (s *State) certCountCause(n map[string]string, has func(string) bool) cause {
	c := cause{text: "certificate count: shipments split or merged, or one certificate counted under two HS codes"}
	switch {
	case !has("certificates"):
		c.text += " — the count is not what raised this finding"
		c.score = notConcerned
	case !has("carats") && !has("value"):
		c.text += fmt.Sprintf(" — only the count differs (%s %%) while carats (%s %%) and value (%s %%) agree, which it explains",
			n["certificates_diff_pct"], n["carats_diff_pct"], n["value_diff_pct"])
		c.score = explainsAll
	default:
		c.text += " — it explains the count, not the carats or value that differ too"
		c.score = explainsPart
	}
	return c
}

func cifCause(n map[string]string, has func(string) bool) cause {
	c := cause{text: "CIF vs FOB valuation: imports valued with freight and insurance, which on diamonds are about 1 % of value, so imports run about 1 % higher"}
	imports, exports := n["importer_value_usd"], n["exporter_value_usd"]
	switch {
	case !has("value"):
		c.text += " — value is within its limit"
		c.score = notConcerned
	case usdLess(imports, exports):
		c.text += fmt.Sprintf(" — here imports are the lower, so it explains none of the %s %% value gap", n["value_diff_pct"])
	case !pctAbove(n["value_diff_pct"], Percent(cifPct).String()):
		c.text += fmt.Sprintf(" — fits the %s %% value gap", n["value_diff_pct"])
		c.score = explainsAll
	default:
		c.text += fmt.Sprintf(" — explains at most about 1 %% of the %s %% value gap", n["value_diff_pct"])
	}
	return c
}

func timingCause(n map[string]string, raised []string) cause {
	c := cause{text: "timing: goods in transit across the period's end, counted by the exporter in one quarter and by the importer in the next"}
	explained, judged := 0, 0
	var parts []string
	for _, m := range raised {
		d := n["lag_"+m+"_diff_pct"]
		if d == "" {
			continue
		}
		judged++
		limit := n["threshold_"+m+"_pct"]
		if limit == "" {
			limit = n["threshold_carats_pct"]
		}
		if !pctAbove(d, limit) {
			explained++
		}
		parts = append(parts, fmt.Sprintf("%s %s %%", m, d))
	}
	without := strings.Join(parts, ", ")
	switch {
	case judged == 0:
		c.text += " — the neighbouring quarter is not in from both sides, so it cannot be judged yet"
		c.score = explainsPart
	case explained == len(raised):
		c.text += " — the neighbouring quarter shows the goods in transit, and without them the sides are within the limits (" + without + "), which it explains"
		c.score = explainsAll
	case explained > 0 || judged < len(raised):
		c.text += " — without the goods the neighbouring quarter shows in transit the sides are " + without + " apart: it explains part of it"
		c.score = explainsPart
	default:
		c.text += " — the neighbouring quarter does not show enough goods in transit: without them the sides are still " + without + " apart, so it does not explain it"
	}
	return c
}

func transitCause(exporter string, has func(string) bool) cause {
	c := cause{text: "transit and re-export attribution: the importer records provenance (the country shipped from), so goods routed through a hub appear as imports from the hub, not from " + exporter}
	if has("carats") {
		c.text += " — goods attributed elsewhere move carats and value together, of any size"
		c.score = explainsPart
	} else {
		c.text += " — carats agree, and goods attributed elsewhere would move carats too"
	}
	return c
}

// hsCause judges HS classification on the measures that raised the
// finding, summed across all HS codes and held to the finding's limits.
func (s *State) hsCause(h *held, raised []string, n map[string]string) cause {
	c := cause{text: "HS classification: the same goods under 7102.10 (unsorted) on one side and 7102.21 or 7102.31 on the other"}
	e, i, ok := s.mirrorAllHS(h.subject())
	if !ok {
		c.text += " — not every HS code of the period is in, so it cannot be judged"
		c.score = explainsPart
		return c
	}
	var apart []string
	agree := true
	for _, m := range raised {
		x := slices.Index(measureNames[:], m)
		if x < 0 {
			continue
		}
		limit, err := ParsePercent(n["threshold_"+m+"_pct"])
		if err != nil {
			limit, _ = ParsePercent(n["threshold_carats_pct"])
		}
		apart = append(apart, fmt.Sprintf("%s %s %%", m, pctOf(absDiff(e.of(x), i.of(x)), max(e.of(x), i.of(x)))))
		agree = agree && within(e.of(x), i.of(x), limit)
	}
	if agree {
		c.text += " — across all HS codes the two sides are within the limits (" + strings.Join(apart, ", ") + "), which it explains"
		c.score = explainsAll
	} else {
		c.text += " — across all HS codes the two sides are " + strings.Join(apart, ", ") + " apart as well, so it does not explain it"
	}
	return c
}

func fxCause(n map[string]string, has func(string) bool) cause {
	c := cause{text: "exchange-rate date: values converted to USD at the invoice, shipment or arrival date, a few percent at most"}
	switch {
	case !has("value"):
		c.text += " — value is within its limit"
		c.score = notConcerned
	case has("carats"):
		c.text += " — it moves value only, not the carats that differ too"
	case sameRateDates(n):
		c.text += fmt.Sprintf(" — both sides state rates of the same dates (%s; %s), so it explains none of it", n["exporter_exchange_rates"], n["importer_exchange_rates"])
	case !pctAbove(n["value_diff_pct"], Percent(fxPct).String()):
		c.text += fmt.Sprintf(" — fits a %s %% value-only gap", n["value_diff_pct"])
		c.score = explainsAll
	default:
		c.text += fmt.Sprintf(" — explains a few percent of the %s %% value gap at most", n["value_diff_pct"])
	}
	return c
}

// usdLess compares two decimal dollar figures.
func usdLess(a, b string) bool {
	x, err1 := protocol.ParseUSD(a)
	y, err2 := protocol.ParseUSD(b)
	return err1 == nil && err2 == nil && x < y
}

// mirrorAllHS sums both sides over every HS code for the finding's period.
func (s *State) mirrorAllHS(k subjectKey) (exp, imp figures, ok bool) {
	from, n := k.q, 1
	if k.kind == subjMirrorY {
		from, n = firstQuarterOf(k.year), 4
	}
	for _, hs := range protocol.HSCodes() {
		e, ok1 := s.mirrorSide(k.a, k.b, flowExport, hs, from, n)
		i, ok2 := s.mirrorSide(k.b, k.a, flowImport, hs, from, n)
		if !ok1 || !ok2 {
			return figures{}, figures{}, false
		}
		exp.plus(e)
		imp.plus(i)
	}
	return exp, imp, true
}

// quarterLines writes the per-quarter breakdown of a yearly mirror finding.
func (s *State) quarterLines(b *strings.Builder, k subjectKey) {
	b.WriteString("\nPer quarter (exports against imports):\n")
	q := firstQuarterOf(k.year)
	for range 4 {
		e, ok1 := s.mirrorSide(k.a, k.b, flowExport, k.hs, q, 1)
		i, ok2 := s.mirrorSide(k.b, k.a, flowImport, k.hs, q, 1)
		if ok1 && ok2 {
			fmt.Fprintf(b, "  %s  %s ct / %s ct (%s %%), USD %s / USD %s (%s %%), %d / %d certificates\n", q,
				protocol.Carats(e.carats), protocol.Carats(i.carats), pctOf(absDiff(e.carats, i.carats), max(e.carats, i.carats)),
				protocol.USD(e.value), protocol.USD(i.value), pctOf(absDiff(e.value, i.value), max(e.value, i.value)), e.certs, i.certs)
		}
		q = q.Next()
	}
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
