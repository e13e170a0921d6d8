package protocol

// The optional members of statistics that KPCS Annex III asks for beyond
// the first version's figures: origin, the date basis, the currency a value
// was converted from, and the artisanal/industrial split of production.
// Each is optional so that every record written before stays valid and
// reads as "not stated" (docs/records.md §6 and §7).

// OriginMixed is the origin of goods of several origins reported
// together, as on a certificate of a mixed-origin parcel.
const OriginMixed = originMixed

// Date bases of trade statistics, the values of TradeStatistics.DateBasis.
const (
	BasisExportDate      = "export_date"            // exports counted by date of export (KPCS)
	BasisImportDate      = "import_date"            // imports counted by date of import (KPCS)
	BasisCertificateDate = "certificate_issue_date" // counted by the certificate's issue date
)

var dateBases = []string{BasisExportDate, BasisImportDate, BasisCertificateDate}

// CurrencyUSD is the currency code of the US dollar.
const CurrencyUSD = "USD"

// Conversion says what a value in US dollars was converted from: the
// currency (ISO 4217), the value in that currency and the date of the
// exchange rate used. All members are empty when not stated; Currency
// alone is "USD" when the value was stated in US dollars to begin with.
type Conversion struct {
	Currency         string `json:"currency,omitempty"`
	ValueOriginal    Money  `json:"value_original,omitzero"`
	ExchangeRateDate Date   `json:"exchange_rate_date,omitzero"`
}

// ProductionPart is one part of a production figure: the carats and value
// mined artisanally (artisanal and alluvial) or industrially.
type ProductionPart struct {
	Carats   Carats `json:"carats"`
	ValueUSD USD    `json:"value_usd"`
}

// statisticsOrigin reads the optional origin of a statistics row: a
// country code or "MIXED".
func (o *object) statisticsOrigin() string {
	return o.pattern("origin", false, 64, `a two-letter uppercase country code or "MIXED"`, isOrigin)
}

// dateBasis reads the optional date_basis, which must fit the flow:
// exports cannot be counted by a date of import, nor imports by a date of
// export.
func (o *object) dateBasis(flow string) string {
	b := o.enum("date_basis", false, dateBases)
	switch {
	case flow == FlowExport && b == BasisImportDate:
		o.c.add(o.at("date_basis"), "is %q, but export statistics cannot count by date of import: use %q or %q", b, BasisExportDate, BasisCertificateDate)
	case flow == FlowImport && b == BasisExportDate:
		o.c.add(o.at("date_basis"), "is %q, but import statistics cannot count by date of export: use %q or %q", b, BasisImportDate, BasisCertificateDate)
	default:
		return b
	}
	return ""
}

// conversion reads currency, value_original and exchange_rate_date and
// checks that they go together: none; "USD" alone; or another currency
// with both the original value and the rate's date, for a value that is
// not zero.
func (o *object) conversion(value USD) Conversion {
	cv := Conversion{}
	cv.Currency = o.pattern("currency", false, 64, `a three-letter uppercase ISO 4217 currency code such as "EUR"`, isCurrencyCode)
	cv.ValueOriginal = Money(o.hundredths("value_original", false, parseHundredths))
	cv.ExchangeRateDate = o.date("exchange_rate_date", false)
	if cv.Currency == "" && o.has("currency") {
		return cv // reported
	}
	for _, name := range []string{"value_original", "exchange_rate_date"} {
		o.checkConverted(name, cv.Currency, value)
	}
	if cv.Currency != "" && cv.Currency != CurrencyUSD && value == 0 {
		o.c.add(o.at("currency"), "must be absent or %q when value_usd is zero (a nil return): there is no value to convert", CurrencyUSD)
	}
	return cv
}

// checkConverted reports member name (value_original or
// exchange_rate_date) given where it must not be, or missing where it must
// be.
func (o *object) checkConverted(name, currency string, value USD) {
	given := o.has(name)
	switch {
	case currency == "" && given:
		o.c.add(o.at(name), "is given without currency: give the currency the value was converted from")
	case currency == CurrencyUSD && given:
		o.c.add(o.at(name), "must be absent when currency is %q: the value was not converted", CurrencyUSD)
	case currency != "" && currency != CurrencyUSD && value != 0 && !given:
		o.c.add(o.at(name), "is required when currency is %q (a value converted to US dollars)", currency)
	}
}

// isCurrencyCode reports whether s is three uppercase ASCII letters
// (syntax only: the ISO 4217 list changes).
func isCurrencyCode(s string) bool {
	return len(s) == 3 && isUpperLetter(s[0]) && isUpperLetter(s[1]) && isUpperLetter(s[2])
}

func isUpperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// productionPart reads the optional part name ("artisanal",
// "industrial") of a production figure.
func (o *object) productionPart(name string) *ProductionPart {
	po := o.obj(name, false)
	if po == nil {
		return nil
	}
	p := &ProductionPart{}
	p.Carats, p.ValueUSD = po.quantities()
	po.done()
	return p
}

// checkSplit requires both parts or neither, and parts that add up to
// the totals. It is skipped when an amount is itself invalid (errs grew
// since before).
func (o *object) checkSplit(s *ProductionStatistics, before int) {
	a, i := s.Artisanal, s.Industrial
	switch {
	case a == nil && i == nil:
		return
	case a == nil:
		o.c.add(o.at("artisanal"), "is required when industrial is given: give both parts (one may be zero)")
	case i == nil:
		o.c.add(o.at("industrial"), "is required when artisanal is given: give both parts (one may be zero)")
	}
	if a == nil || i == nil || len(o.c.errs) != before {
		return
	}
	o.checkPartSum("carats", int64(s.Carats), int64(a.Carats), int64(i.Carats))
	o.checkPartSum("value_usd", int64(s.ValueUSD), int64(a.ValueUSD), int64(i.ValueUSD))
}

// checkPartSum reports total member name that differs from the sum of
// the artisanal and industrial parts.
func (o *object) checkPartSum(name string, total, a, i int64) {
	sum, overflow := addChecked(a, i, false)
	switch {
	case overflow:
		o.c.add(o.at(name), "artisanal and industrial are too large to add up")
	case sum != total:
		o.c.add(o.at(name), "is %s, but artisanal and industrial add up to %s", formatHundredths(total), formatHundredths(sum))
	}
}
