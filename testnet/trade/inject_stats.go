package trade

import (
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// The anomalies of rules R9–R12 change what a reporter declares. Each
// takes a mirror comparison (exporter, importer, HS code, quarter) of its
// own, and is applied to the final statistics, after every shipment
// exists. The findings rules R9 and R11 (change) raise from the final
// statistics, injected or not, are derived from them (truth_mirror.go,
// truth_change.go); an anomaly names those only it can raise (R10, R11
// missing, R12) and its own R9 or R11 change, for the note.
//
// An exporter's row always covers the importer's of its quarter save the
// goods in transit at the quarter's end, so an injected mirror
// discrepancy overstates imports.

// exportCells returns the clean export rows with goods whose comparison
// is still free and whose quarter both sides submit, in a fixed order.
func (g *generator) exportCells() []cell {
	var out []cell
	for _, k := range g.inj.baseKeys {
		if k.flow == protocol.FlowExport && g.inj.baseline[k].carats > 0 && g.free(k) {
			out = append(out, k)
		}
	}
	return out
}

// free reports whether row k's comparison is untaken and neither its
// reporter nor its partner skips its quarter (injectMissing).
func (g *generator) free(k cell) bool {
	return !g.inj.cells[pairOf(k)] && g.inj.skipped[k.reporter] != k.q && g.inj.skipped[k.partner] != k.q
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

// injectChange declares four times what a reporter's certificates add up
// to in a quarter whose previous quarter it reported with goods: +300 %
// quarter on quarter (R11, info), and a row that disagrees with the
// certificates (R10) at the reporter and its partner.
func (g *generator) injectChange() bool {
	var cells []cell
	for _, k := range g.inj.baseKeys {
		prev := k
		prev.q = k.q.Prev()
		if g.inj.baseline[k].carats > 0 && g.inj.baseline[prev].carats > 0 && g.free(k) && g.free(prev) {
			cells = append(cells, k)
		}
	}
	if len(cells) == 0 {
		return false
	}
	k := pick(g, cells)
	g.inj.cells[pairOf(k)] = true
	var is, was figure
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) {
		prev := k
		prev.q = k.q.Prev()
		was = b[prev]
		is = b[k].scaled(4, 1)
		b[k] = is
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s's %ss %s %s (%s): %s ct in %s, four times its certificates, against %s ct in %s",
			k.reporter, k.flow, toFrom(k.flow), k.partner, k.hs, is.carats, k.q, was.carats, k.q.Prev())
		return []Expected{
			expect(statsID("R11", k), reconcile.Info, note, k.reporter, k.partner),
			expect(statsID("R10", k), reconcile.Warning, note, k.reporter, k.partner),
		}
	})
	return true
}

func toFrom(flow string) string {
	if flow == protocol.FlowExport {
		return "to"
	}
	return "from"
}

// injectMissing has a reporter skip a quarter it owes: every row of it,
// to every partner, in a statistics quarter after the first (from which
// the reporter owes) whose due date has passed; one R11 finding at the
// reporter and at each partner it reports to. A window too short for
// such a quarter gets one before it instead: a row two quarters before
// the first statistics quarter and nothing for the quarter between.
func (g *generator) injectMissing() bool {
	if g.skipQuarter() {
		return true
	}
	return g.skipBefore()
}

// skipQuarter removes a reporter's quarter inside the window.
func (g *generator) skipQuarter() bool {
	qs := g.cal.quarters()
	months := reconcile.DefaultConfig().StatisticsDueMonths
	type slot struct {
		r string
		q protocol.Quarter
	}
	var free []slot
	for _, r := range g.reporters() {
		if _, taken := g.inj.skipped[r]; taken || g.inj.gaps[r] || g.inj.gapsTo[r] {
			continue
		}
		for _, q := range qs[min(1, len(qs)):] {
			if !quarterDue(q, months).After(g.cal.now) && !g.reserved(r, q) {
				free = append(free, slot{r, q})
			}
		}
	}
	if len(free) == 0 {
		return false
	}
	s := pick(g, free)
	g.inj.skipped[s.r] = s.q
	var to []string
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) {
		for _, k := range b.keys() {
			if k.reporter == s.r && k.q == s.q {
				delete(b, k)
				to = append(to, k.partner)
			}
		}
	})
	g.inj.add(func() []Expected {
		note := fmt.Sprintf("%s submitted no trade statistics for %s", s.r, s.q)
		return []Expected{expect(fmt.Sprintf("R11/%s/trade-statistics/missing", s.r), reconcile.Warning, note, union([]string{s.r}, to)...)}
	})
	return true
}

// quarterDue returns when q's trade statistics are due: months after it.
func quarterDue(q protocol.Quarter, months int) time.Time {
	return q.Next().Start().Time().AddDate(0, months, 0)
}

// reporters returns the reporters of the clean statistics, sorted.
func (g *generator) reporters() []string {
	var out []string
	for _, k := range g.inj.baseKeys {
		if len(out) == 0 || out[len(out)-1] != k.reporter {
			out = append(out, k.reporter)
		}
	}
	return out
}

// reserved reports whether an anomaly took a comparison of r in q.
func (g *generator) reserved(r string, q protocol.Quarter) bool {
	for c := range g.inj.cells {
		if c.q == q && (c.exp == r || c.imp == r) {
			return true
		}
	}
	return false
}

// skipBefore has a reporter submit a row for two quarters before the
// first statistics quarter and nothing for the one between, long overdue.
// No two partners may both have submitted that old quarter, or they would
// compare their mirror statistics of it (R9).
func (g *generator) skipBefore() bool {
	var reporters []string
	rows := map[string][]cell{}
	for _, k := range g.inj.baseKeys {
		_, skips := g.inj.skipped[k.reporter]
		if skips || g.inj.gaps[k.reporter] || g.inj.gapsTo[k.reporter] || g.inj.gaps[k.partner] || g.inj.baseline[k].carats == 0 {
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
	old.q = g.cal.quarters()[0].Prev().Prev()
	g.inj.reports = append(g.inj.reports, func(b book, _ map[half]figure) { b[old] = b[k].scaled(9, 10) })
	g.inj.add(func() []Expected {
		gap := old.q.Next()
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
