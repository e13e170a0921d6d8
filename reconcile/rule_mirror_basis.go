package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// What each side of a mirror comparison states about how it counted
// (docs/records.md §6, both optional): the date basis that put its trade
// in the period, and the exchange-rate date of values converted to USD.
// The KP basis pairs exports by date of export with imports by date of
// import (their gap is goods in transit, timing's cause); both sides by
// the certificate's issue date count the same shipments too. Any other
// pairing (one side by issue date, the other by its own flow's date, or a
// side mixing bases) puts one shipment in two periods, so R9 names it.

// statedBases returns the date bases rows state, sorted and without
// repeats; empty when no row states one.
func statedBases(rows []*rec) []string {
	var out []string
	for _, r := range rows {
		if b := r.trade().DateBasis; b != "" {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// basesAgree reports whether an exporter counting by exp and an importer
// counting by imp, each a single basis, count the same shipments in the
// same period but for transit.
func basesAgree(exp, imp []string) bool {
	if len(exp) != 1 || len(imp) != 1 {
		return false
	}
	kp := exp[0] == protocol.BasisExportDate && imp[0] == protocol.BasisImportDate
	issue := exp[0] == protocol.BasisCertificateDate && imp[0] == protocol.BasisCertificateDate
	return kp || issue
}

// basisNote adds the date bases both sides state to nums
// (exporter_date_basis, importer_date_basis, date_basis_mismatch) and
// returns the sentence naming a mismatch; "" when the sides agree or
// either states none.
func basisNote(k subjectKey, e, i *figures, nums map[string]string) string {
	eb, ib := statedBases(e.rows), statedBases(i.rows)
	if len(eb) > 0 {
		nums["exporter_date_basis"] = strings.Join(eb, ",")
	}
	if len(ib) > 0 {
		nums["importer_date_basis"] = strings.Join(ib, ",")
	}
	if len(eb) == 0 || len(ib) == 0 || basesAgree(eb, ib) {
		return ""
	}
	nums["date_basis_mismatch"] = "true"
	return fmt.Sprintf("date basis differs: %s counts its exports by %s, %s its imports by %s, so one shipment can fall in different periods",
		k.a, basisWords(eb), k.b, basisWords(ib))
}

func basisWords(bases []string) string {
	words := make([]string, len(bases))
	for j, b := range bases {
		words[j] = strings.ReplaceAll(b, "_", " ")
	}
	return strings.Join(words, " and ")
}

// statedRates returns the conversions rows state, "EUR 2023-07-15", sorted
// and without repeats; empty when no row was converted.
func statedRates(rows []*rec) []string {
	var out []string
	for _, r := range rows {
		c := r.trade().Conversion
		if !c.ExchangeRateDate.IsZero() {
			out = append(out, c.Currency+" "+c.ExchangeRateDate.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// rateNote adds the conversions both sides state to nums
// (exporter_exchange_rates, importer_exchange_rates) and returns the
// sentence naming differing exchange-rate dates; "" when neither side
// states one or both used rates of the same dates.
func rateNote(k subjectKey, e, i *figures, nums map[string]string) string {
	er, ir := statedRates(e.rows), statedRates(i.rows)
	if len(er) > 0 {
		nums["exporter_exchange_rates"] = strings.Join(er, ",")
	}
	if len(ir) > 0 {
		nums["importer_exchange_rates"] = strings.Join(ir, ",")
	}
	if len(er) == 0 || len(ir) == 0 || slices.Equal(rateDates(er), rateDates(ir)) {
		return ""
	}
	return fmt.Sprintf("values converted to USD at exchange rates of different dates: %s from %s, %s from %s",
		k.a, strings.Join(er, " and "), k.b, strings.Join(ir, " and "))
}

// sameRateDates reports whether both sides state conversions, all at
// rates of the same dates (nums as rateNote leaves them).
func sameRateDates(nums map[string]string) bool {
	e, i := nums["exporter_exchange_rates"], nums["importer_exchange_rates"]
	return e != "" && i != "" && slices.Equal(rateDates(strings.Split(e, ",")), rateDates(strings.Split(i, ",")))
}

// basisCause judges the date bases the sides state; ok is false when
// neither states one.
func basisCause(n map[string]string) (cause, bool) {
	e, i := n["exporter_date_basis"], n["importer_date_basis"]
	if e == "" && i == "" {
		return cause{}, false
	}
	c := cause{text: "date basis: which date put a shipment in the period (export, import or certificate issue date)"}
	switch {
	case n["date_basis_mismatch"] != "":
		c.text += fmt.Sprintf(" — the exporter counts by %s, the importer by %s: shipments near the period's end fall in different periods, of any size", e, i)
		c.score = explainsPart
	case e == "" || i == "":
		c.text += " — only one side states it; ask the other which date it counts by"
		c.score = explainsPart
	default:
		c.text += fmt.Sprintf(" — the exporter counts by %s, the importer by %s, which count the same shipments", e, i)
		c.score = notConcerned
	}
	return c, true
}

// rateDates returns the dates of conversions, sorted and without repeats.
func rateDates(rates []string) []string {
	out := make([]string, len(rates))
	for j, r := range rates {
		out[j] = r[strings.IndexByte(r, ' ')+1:]
	}
	slices.Sort(out)
	return slices.Compact(out)
}
