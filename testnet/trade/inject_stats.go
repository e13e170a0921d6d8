package trade

import (
	"fmt"
	"slices"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// The anomalies of rules R9–R12 change what a reporter declares. Each
// takes a mirror comparison (exporter, importer, HS code) of its own, and
// is applied to the final statistics, after every shipment exists.
//
// Clean statistics cover the statistics quarter only. There, an exporter's
// row always covers the importer's (goods are received after they are
// issued, and those of earlier quarters were received before it), so a
// difference between them can only be goods in transit; rule R9 then waits
// for the importer's next quarter, which nobody has submitted. That is why
// an injected mirror discrepancy overstates imports.

// exportCells returns the clean export rows of the statistics quarter
// whose comparison is still free, in a fixed order.
func (g *generator) exportCells() []cell {
	var out []cell
	for _, k := range g.inj.baseline.keys() {
		if k.flow == protocol.FlowExport && !g.inj.cells[pairOf(k)] {
			out = append(out, k)
		}
	}
	return out
}

// injectMirror (R9) has an importer declare half as much again as the
// exporter's figure. Its import row then also disagrees with the
// certificates (R10), at both partners.
func (g *generator) injectMirror(int) bool {
	cells := g.exportCells()
	if len(cells) == 0 {
		return false
	}
	k := pick(g, cells)
	g.inj.cells[pairOf(k)] = true
	imp := cell{k.partner, protocol.FlowImport, k.reporter, k.hs, k.q}
	var declared figure
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) {
		e := b[k]
		declared = e.scaled(3, 2)
		b[imp] = declared
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s declared imports from %s in %s (%s) of %s ct, 1.5 times %s's exports", imp.reporter, k.reporter, k.q, k.hs, declared.carats, k.reporter)
		return []Expected{
			expect(fmt.Sprintf("R9/%s/%s/%s/%s", k.reporter, k.partner, k.q, k.hs), reconcile.Warning, note, k.reporter, k.partner),
			expect(statsID("R10", imp), reconcile.Warning, note, k.reporter, k.partner),
		}
	})
	return true
}

// injectCertStats (R10) has an exporter declare 5 % more carats and value
// than its certificates add up to: beyond R10's 1 %, within R9's 20 %.
func (g *generator) injectCertStats(int) bool {
	cells := g.exportCells()
	if len(cells) == 0 {
		return false
	}
	k := pick(g, cells)
	g.inj.cells[pairOf(k)] = true
	var declared figure
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) {
		declared = b[k].scaled(105, 100)
		b[k] = declared
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s declared exports to %s in %s (%s) of %s ct, 5 %% above its certificates", k.reporter, k.partner, k.q, k.hs, declared.carats)
		return []Expected{expect(statsID("R10", k), reconcile.Warning, note, k.reporter, k.partner)}
	})
	return true
}

// statsID is the id of a finding about one statistics row.
func statsID(rule string, k cell) string {
	return fmt.Sprintf("%s/%s/%s/%s/%s/%s", rule, k.reporter, k.flow, k.partner, k.q, k.hs)
}

// injectPeriods (R11) rotates a quarter-on-quarter jump, a missing
// quarter and a missing annual report, falling back to the next when one
// has run out.
func (g *generator) injectPeriods(k int) bool {
	kinds := []func() bool{g.injectChange, g.injectMissing, g.injectMissingReport}
	for i := range kinds {
		if kinds[(k+i)%len(kinds)]() {
			return true
		}
	}
	return false
}

// injectChange gives a reporter's row a previous quarter of a quarter of
// its figure: +300 % quarter on quarter. The reporter has submitted the
// previous quarter from then on, but no other row of it, and a figure
// without a base is not judged. Its partner must not have submitted that
// quarter too, nor the reporter have received such a row, or the two would
// compare their mirror statistics of it (R9).
func (g *generator) injectChange() bool {
	var cells []cell
	for _, k := range g.inj.baseline.keys() {
		if !g.inj.cells[pairOf(k)] && !g.inj.gaps[k.reporter] && !g.inj.earlyTo[k.reporter] && !g.inj.earlier[k.partner] {
			cells = append(cells, k)
		}
	}
	if len(cells) == 0 {
		return false
	}
	k := pick(g, cells)
	g.inj.cells[pairOf(k)], g.inj.earlier[k.reporter], g.inj.earlyTo[k.partner] = true, true, true
	prev := k
	prev.q = k.q.Prev()
	var is, was figure
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) {
		is = b[k]
		was = is.scaled(1, 4)
		was.certs = max(1, is.certs/4)
		b[prev] = was
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s's %ss %s %s (%s): %s ct in %s, four times the %s ct of %s",
			k.reporter, k.flow, toFrom(k.flow), k.partner, k.hs, is.carats, k.q, was.carats, prev.q)
		return []Expected{expect(statsID("R11", k), reconcile.Info, note, k.reporter, k.partner)}
	})
	return true
}

func toFrom(flow string) string {
	if flow == protocol.FlowExport {
		return "to"
	}
	return "from"
}

// injectMissing has a reporter submit a row for two quarters before the
// statistics quarter and nothing for the one between, long overdue. As for
// injectChange, no two partners may both have submitted that quarter.
func (g *generator) injectMissing() bool {
	var reporters []string
	rows := map[string][]cell{}
	for _, k := range g.inj.baseline.keys() {
		if g.inj.earlier[k.reporter] || g.inj.gaps[k.reporter] || g.inj.gapsTo[k.reporter] || g.inj.gaps[k.partner] {
			continue
		}
		if len(rows[k.reporter]) == 0 {
			reporters = append(reporters, k.reporter)
		}
		rows[k.reporter] = append(rows[k.reporter], k)
	}
	if len(reporters) == 0 {
		return false
	}
	k := pick(g, rows[pick(g, reporters)])
	g.inj.gaps[k.reporter], g.inj.gapsTo[k.partner] = true, true
	old := k
	old.q = k.q.Prev().Prev()
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) { b[old] = b[k].scaled(9, 10) })
	g.inj.add(func() []Expected {
		gap := k.q.Prev()
		note := fmt.Sprintf("%s submitted %s and %s but not %s", k.reporter, old.q, k.q, gap)
		return []Expected{expect(fmt.Sprintf("R11/%s/trade-statistics/missing", k.reporter), reconcile.Warning, note, k.reporter, k.partner)}
	})
	return true
}

// injectProduction (R12) has a producer report half of the smallest
// export of its own origin that any holder of its certificates sees for
// the half-year: every holder finds exports above production plus 50 %
// stock.
func (g *generator) injectProduction(int) bool {
	var free []half
	for _, p := range g.opt.Participants {
		for _, h := range g.cal.halves() {
			k := half{p, h}
			if isProducer(p) && !g.inj.halves[k] && g.ownExports(p, h, p) > 0 {
				free = append(free, k)
			}
		}
	}
	if len(free) == 0 {
		return false
	}
	k := pick(g, free)
	g.inj.halves[k] = true
	var holders []string
	var reported figure
	g.inj.reports = append(g.inj.reports, func(_ book, prod map[half]figure) {
		holders, reported = g.understate(k)
		prod[k] = reported
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s reported %s ct of production for %s, under its own-origin exports", k.producer, reported.carats, k.h)
		return []Expected{expect(fmt.Sprintf("R12/%s/%s", k.producer, k.h), reconcile.Warning, note, holders...)}
	})
	return true
}

// understate returns the nodes that hold own-origin certificates of the
// producer for the half, and a production figure of half the smallest sum
// any of them holds.
func (g *generator) understate(k half) ([]string, figure) {
	var holders []string
	least := protocol.Carats(0)
	for _, x := range slices.Concat([]string{k.producer}, g.nodes[k.producer].partners) {
		if c := g.ownExports(k.producer, k.h, x); c > 0 {
			holders = append(holders, x)
			if least == 0 || c < least {
				least = c
			}
		}
	}
	return holders, g.productionFigure(k.producer, k.h, max(least/2, 1))
}
