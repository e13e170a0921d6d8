package trade

import (
	"cmp"
	"math"
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// cell names one row of trade statistics: a reporter's figures for a
// flow, partner, quarter and HS code.
type cell struct {
	reporter, flow, partner, hs string
	q                           protocol.Quarter
}

// pairCell names the two mirror rows of one trade direction, HS code and
// quarter: the exporter's export row and the importer's import row.
// Statistics anomalies reserve a pairCell each, so that no two of them
// touch the same comparison.
type pairCell struct {
	exp, imp, hs string
	q            protocol.Quarter
}

// figure is the content of a statistics row.
type figure struct {
	carats protocol.Carats
	value  protocol.USD
	certs  int
}

func (f *figure) add(c protocol.Carats, v protocol.USD) {
	f.carats += c
	f.value += v
	f.certs++
}

// scaled returns f with carats and value multiplied by num/den.
func (f figure) scaled(num, den int64) figure {
	return figure{protocol.Carats(int64(f.carats) * num / den), protocol.USD(int64(f.value) * num / den), f.certs}
}

// book holds the trade statistics rows to publish.
type book map[cell]figure

// statistics computes what every reporter declares for each statistics
// quarter, exactly as rule R10 sums the certificates: exports by issue
// quarter, per destination; imports by the quarter the goods were received,
// per exporting participant, and only goods the importer confirmed (an
// importer that never confirmed a shipment has not recorded it as an
// import either); one certificate per HS code it carries. A reporter that
// neither exported to nor imported from a trading partner in a quarter
// sends it a nil return (nilReturns), as the KP asks of a participant
// with no trade to report.
func (g *generator) statistics() book {
	b := book{}
	for _, s := range g.ships {
		for _, p := range sumsByHS(s.lines) {
			if q := protocol.QuarterOf(s.issued); g.cal.closed(q) {
				b.add(cell{s.issuer, protocol.FlowExport, s.dest, p.HSCode, q}, p)
			}
			if q := protocol.QuarterOf(s.received); s.confirmed && g.cal.closed(q) {
				b.add(cell{s.dest, protocol.FlowImport, s.issuer, p.HSCode, q}, p)
			}
		}
	}
	g.nilReturns(b)
	return b
}

// nilReturns adds, for every trading route and statistics quarter in
// which the reporter has no row about its partner, a row of nothing
// exported (unsorted goods, zero carats, value and certificates): without
// it the partner would take the quarter for one never submitted (R11).
func (g *generator) nilReturns(b book) {
	about := map[[2]string]map[protocol.Quarter]bool{}
	for k := range b {
		rp := [2]string{k.reporter, k.partner}
		if about[rp] == nil {
			about[rp] = map[protocol.Quarter]bool{}
		}
		about[rp][k.q] = true
	}
	for _, r := range g.routes {
		for _, q := range g.cal.quarters() {
			if !about[r][q] {
				b[cell{r[0], protocol.FlowExport, r[1], hsUnsorted, q}] = figure{}
			}
		}
	}
}

func (b book) add(k cell, l protocol.CertificateLine) {
	f := b[k]
	f.add(l.Carats, l.ValueUSD)
	b[k] = f
}

// sumsByHS returns one line per HS code with the sums of lines, in code
// order.
func sumsByHS(lines []protocol.CertificateLine) []protocol.CertificateLine {
	var out []protocol.CertificateLine
	for _, l := range lines {
		i := slices.IndexFunc(out, func(o protocol.CertificateLine) bool { return o.HSCode == l.HSCode })
		if i < 0 {
			out = append(out, protocol.CertificateLine{HSCode: l.HSCode})
			i = len(out) - 1
		}
		out[i].Carats += l.Carats
		out[i].ValueUSD += l.ValueUSD
	}
	slices.SortFunc(out, func(a, b protocol.CertificateLine) int { return cmp.Compare(a.HSCode, b.HSCode) })
	return out
}

// keys returns the cells of b in a fixed order.
func (b book) keys() []cell {
	out := make([]cell, 0, len(b))
	for k := range b {
		out = append(out, k)
	}
	slices.SortFunc(out, compareCells)
	return out
}

func compareCells(a, b cell) int {
	return cmp.Or(cmp.Compare(a.reporter, b.reporter), a.q.Compare(b.q), cmp.Compare(a.flow, b.flow),
		cmp.Compare(a.partner, b.partner), cmp.Compare(a.hs, b.hs))
}

// pairOf returns the pairCell of a row.
func pairOf(k cell) pairCell {
	if k.flow == protocol.FlowExport {
		return pairCell{k.reporter, k.partner, k.hs, k.q}
	}
	return pairCell{k.partner, k.reporter, k.hs, k.q}
}

// rowItem is the record of one row, sent to the partner it is about.
func rowItem(k cell, f figure) Item {
	body := &protocol.TradeStatistics{
		Version: 1, Reporter: k.reporter, Period: k.q, Flow: k.flow, Partner: k.partner, HSCode: k.hs,
		Carats: f.carats, ValueUSD: f.value, Certificates: f.certs,
	}
	stateTrade(body)
	return Item{Author: k.reporter, To: []string{k.partner}, Type: protocol.TradeStatisticsType, Step: stepReports, body: body}
}

// half identifies a producer's half-year.
type half struct {
	producer string
	h        protocol.Half
}

// ownKey names a sum of ownExports.
type ownKey struct {
	producer, observer string
	h                  protocol.Half
}

// ownExports sums the certificates of producer p's own origin issued in h
// that observer holds (all of them for p itself, those to observer for
// anyone else), as rule R12 does. The sums are kept up to date with the
// shipments added since the last call, so that asking is cheap however
// often anomalies ask; a shipment must be complete when added.
func (g *generator) ownExports(p string, h protocol.Half, observer string) protocol.Carats {
	if g.own == nil {
		g.own = map[ownKey]protocol.Carats{}
	}
	for ; g.ownN < len(g.ships); g.ownN++ {
		s := g.ships[g.ownN]
		if len(s.origin) != 1 || s.origin[0] != s.issuer {
			continue
		}
		c, _ := s.totals()
		g.own[ownKey{s.issuer, s.issuer, protocol.HalfOf(s.issued)}] += c
		g.own[ownKey{s.issuer, s.dest, protocol.HalfOf(s.issued)}] += c
	}
	return g.own[ownKey{p, observer, h}]
}

// production returns each producer's production statistics for every
// half-year the window meets (provisional for the current one): its own
// exports over the half scaled up from the days of the window, plus 5 to
// 25 %, so that exports never exceed production (R12).
func (g *generator) production() map[half]figure {
	out := map[half]figure{}
	for _, p := range g.opt.Participants {
		if !isProducer(p) || len(g.nodes[p].partners) == 0 {
			continue
		}
		for _, h := range g.cal.halves() {
			own := float64(g.ownExports(p, h, p))
			elapsed := float64(daysBetween(h.Start(), minDate(h.End(), g.cal.today)) + 1)
			seen := float64(daysBetween(maxDate(h.Start(), g.cal.from), minDate(h.End(), g.cal.today)) + 1)
			carats := own * elapsed / seen * (1.05 + 0.2*g.rng.Float64())
			if carats == 0 {
				carats = rateOf(p) * 8000_00 * elapsed
			}
			out[half{p, h}] = g.productionFigure(p, h, protocol.Carats(math.Round(carats)))
		}
	}
	return out
}

// productionFigure values carats of p's production at about its average.
func (g *generator) productionFigure(p string, h protocol.Half, carats protocol.Carats) figure {
	price := tableUSD(p, h.Year()) * (0.95 + 0.1*g.rng.Float64())
	return figure{carats: carats, value: protocol.USD(math.Round(float64(carats) * price))}
}

// productionItem is a production record, sent to every partner.
func (g *generator) productionItem(k half, f figure) Item {
	body := &protocol.ProductionStatistics{Version: 1, Reporter: k.producer, Period: k.h, Carats: f.carats, ValueUSD: f.value}
	stateProduction(body)
	return Item{Author: k.producer, To: slices.Clone(g.nodes[k.producer].partners), Type: protocol.ProductionStatisticsType, Step: stepReports, body: body}
}

// productionKeys returns the keys of m in a fixed order.
func productionKeys(m map[half]figure) []half {
	out := make([]half, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b half) int { return cmp.Or(cmp.Compare(a.producer, b.producer), a.h.Compare(b.h)) })
	return out
}
