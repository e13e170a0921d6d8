package trade

import (
	"hash/fnv"
	"math"

	"github.com/kpnode/kpnode/protocol"
)

// Some reporters state the optional members of their statistics
// (docs/records.md §6), as real submissions do: the date basis of a trade
// row, the currency a value was converted from with the exchange-rate
// date, and a producer's artisanal/industrial split. Which ones is a
// fixed function of the reporter and period, so that the generator's
// random sequence, and with it every figure, stays as it was.

// localCurrency is the currency and a notional rate per US dollar of the
// reporters that convert; the others report in dollars.
var localCurrency = map[string]struct {
	code string
	rate float64
}{
	"IN": {"INR", 83.2}, "BE": {"EUR", 0.92}, "EU": {"EUR", 0.92}, "AE": {"AED", 3.6725},
	"ZA": {"ZAR", 18.6}, "BW": {"BWP", 13.6}, "CN": {"CNY", 7.2}, "RU": {"RUB", 92.5},
}

// artisanalShare is the share of artisanal and alluvial production of the
// producers that report the split.
var artisanalShare = map[string]float64{"CD": 0.85, "AO": 0.35, "SL": 0.9, "ZA": 0.05, "BW": 0}

// stated reports, for about one reporter and period in three, whether
// reporter states the optional members in the period named by period.
func stated(reporter, period string) bool {
	h := fnv.New32a()
	h.Write([]byte(reporter + "/" + period))
	return h.Sum32()%3 == 0
}

// stateTrade adds the date basis the generator counts by (exports by the
// certificate's issue quarter, imports by the quarter received) and, for
// a reporter with its own currency, the conversion at the quarter's last
// day, to row when its reporter states them for the period.
func stateTrade(row *protocol.TradeStatistics) {
	if !stated(row.Reporter, row.Period.String()) {
		return
	}
	row.DateBasis = protocol.BasisImportDate
	if row.Flow == protocol.FlowExport {
		row.DateBasis = protocol.BasisCertificateDate
	}
	row.Conversion = conversion(row.Reporter, row.ValueUSD, row.Period.End())
}

// conversion returns the conversion of value from reporter's currency at
// date; none for a reporter in dollars or a nil return.
func conversion(reporter string, value protocol.USD, date protocol.Date) protocol.Conversion {
	c, ok := localCurrency[reporter]
	if !ok || value == 0 {
		return protocol.Conversion{}
	}
	return protocol.Conversion{Currency: c.code, ValueOriginal: protocol.Money(math.Round(float64(value) * c.rate)), ExchangeRateDate: date}
}

// stateProduction adds to p, when its producer states them for the
// half, the conversion from its currency and, for a producer that
// reports it, the split into artisanal and industrial parts adding up to
// its totals.
func stateProduction(p *protocol.ProductionStatistics) {
	if !stated(p.Reporter, p.Period.String()) {
		return
	}
	p.Conversion = conversion(p.Reporter, p.ValueUSD, p.Period.End())
	share, ok := artisanalShare[p.Reporter]
	if !ok {
		return
	}
	ac := protocol.Carats(math.Round(float64(p.Carats) * share))
	av := protocol.USD(math.Round(float64(p.ValueUSD) * share))
	p.Artisanal = &protocol.ProductionPart{Carats: ac, ValueUSD: av}
	p.Industrial = &protocol.ProductionPart{Carats: p.Carats - ac, ValueUSD: p.ValueUSD - av}
}
