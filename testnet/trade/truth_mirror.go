package trade

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Rule R9 judged from the statistics the reporters send, as DOMAIN.md
// rule 9 states it: A's exports to B against B's imports from A per
// quarter and HS code, once both have submitted the quarter, a missing row
// counting as zero, carats, value and certificate count each judged on its
// own against mirror_quarterly_pct of the larger figure; and per calendar
// year, once both have submitted its four quarters, carats against
// mirror_yearly_carats_pct and value against mirror_yearly_value_pct.
//
// A one-quarter lag is only shown as a possible explanation, never
// compared instead: for each measure beyond its limit, in the direction
// of its own difference (exports ahead: B's imports of the next quarter;
// imports ahead: A's exports of the previous one), the excess of the
// neighbouring quarter, at most the gap, is carried back and the gap
// without it held to the limit; when either side has not submitted the
// neighbouring quarter, the lag cannot be judged yet. Goods issued at the
// end of a quarter and received in the next are in the exporter's row and
// not yet in the importer's: a real gap, which the lag of the next
// quarter usually explains, and which the last statistics quarter cannot
// have explained (nobody reports the current one).
//
// Every node judges the pairs it is part of with the rows it holds: its
// own and those its partners sent about it. A node knows a partner has
// submitted a quarter only from the partner's rows about it, so a pair may
// be compared at one end and not at the other.
//
// The EU trades only where none of its member-state authorities takes
// part (see tradeable), so no cell is reported both under "EU" and under
// a member state, and every comparison is at the one level modelled here.

// pairHS names one trade direction and HS code: a pair of mirror rows in
// every quarter.
type pairHS struct{ exp, imp, hs string }

// view is what one node holds of the statistics: its own rows and those
// its partners sent about it, and the quarters it knows each reporter
// submitted.
type view struct {
	rows  book
	subs  map[string]map[protocol.Quarter]bool
	pairs map[pairHS][]protocol.Quarter // quarters in which a pair has a row
}

// views splits b into each participant's view, in one pass.
func (g *generator) views(b book) map[string]*view {
	out := map[string]*view{}
	for _, o := range g.opt.Participants {
		out[o] = &view{rows: book{}, subs: map[string]map[protocol.Quarter]bool{}, pairs: map[pairHS][]protocol.Quarter{}}
	}
	for _, k := range b.keys() {
		for _, o := range []string{k.reporter, k.partner} {
			v := out[o]
			if v == nil || v.rows.has(k) {
				continue
			}
			v.rows[k] = b[k]
			if v.subs[k.reporter] == nil {
				v.subs[k.reporter] = map[protocol.Quarter]bool{}
			}
			v.subs[k.reporter][k.q] = true
			pc := pairOf(k)
			p := pairHS{pc.exp, pc.imp, pc.hs}
			v.pairs[p] = append(v.pairs[p], k.q)
		}
	}
	for _, v := range out {
		for p, qs := range v.pairs {
			slices.SortFunc(qs, protocol.Quarter.Compare)
			v.pairs[p] = slices.Compact(qs)
		}
	}
	return out
}

// mirrorExpected returns the R9 findings that the final statistics raise
// at each participant, quarterly and yearly.
func (g *generator) mirrorExpected(vs map[string]*view) []Expected {
	cfg := reconcile.DefaultConfig()
	quarterly := limits{int64(cfg.MirrorQuarterlyPct), int64(cfg.MirrorQuarterlyPct), int64(cfg.MirrorQuarterlyPct)}
	yearly := limits{int64(cfg.MirrorYearlyCaratsPct), int64(cfg.MirrorYearlyValuePct), 0}
	var out []Expected
	for _, o := range g.opt.Participants {
		v := vs[o]
		for _, p := range sortedPairs(v.pairs) {
			for _, q := range v.pairs[p] {
				if x, ok := v.mirror(p, q, 1, quarterly, q.String(), o); ok {
					out = append(out, x)
				}
			}
			for _, y := range years(v.pairs[p]) {
				from := protocol.QuarterOf(protocol.Date{Year: y, Month: 1, Day: 1})
				if x, ok := v.mirror(p, from, 4, yearly, fmt.Sprint(y), o); ok {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// limits are a comparison's limits per measure (carats, value,
// certificates) in hundredths of a percent; 0 leaves a measure out.
type limits [3]int64

var measureNames = [3]string{"carats", "value", "certificates"}

// side sums the rows of reporter's flow with partner over n quarters from
// `from`; false when the view does not know the reporter submitted them
// all.
func (v *view) side(reporter, flow, partner, hs string, from protocol.Quarter, n int) ([3]int64, bool) {
	var sum [3]int64
	for q := from; n > 0; q, n = q.Next(), n-1 {
		if !v.subs[reporter][q] {
			return sum, false
		}
		f := v.rows[cell{reporter, flow, partner, hs, q}]
		sum[0], sum[1], sum[2] = sum[0]+int64(f.carats), sum[1]+int64(f.value), sum[2]+int64(f.certs)
	}
	return sum, true
}

// mirror judges pair p over n quarters from `from`, as node o does.
func (v *view) mirror(p pairHS, from protocol.Quarter, n int, lim limits, period, o string) (Expected, bool) {
	e, ok1 := v.side(p.exp, protocol.FlowExport, p.imp, p.hs, from, n)
	i, ok2 := v.side(p.imp, protocol.FlowImport, p.exp, p.hs, from, n)
	if !ok1 || !ok2 {
		return Expected{}, false
	}
	var broken []int
	for m := range 3 {
		if lim[m] > 0 && beyond(e[m], i[m], lim[m]) {
			broken = append(broken, m)
		}
	}
	if len(broken) == 0 {
		return Expected{}, false
	}
	last := from
	for range n - 1 {
		last = last.Next()
	}
	x := expect(fmt.Sprintf("R9/%s/%s/%s/%s", p.exp, p.imp, period, p.hs), reconcile.Warning, mirrorNote(p, period, e, i, broken), o)
	x.Explains = v.lagPhrase(p, from.Prev(), last.Next(), e, i, broken, lim)
	return x, true
}

// lagPhrase returns the first part of what the finding says of a
// one-quarter lag, as reconcile groups it: the broken measures sharing
// the first one's verdict, "carats and value: a one-quarter lag would
// explain the gap".
func (v *view) lagPhrase(p pairHS, prev, next protocol.Quarter, e, i [3]int64, broken []int, lim limits) string {
	var first string
	var measures []string
	for _, m := range broken {
		verdict := v.lagVerdict(p, prev, next, e[m], i[m], m, lim[m])
		if first == "" {
			first = verdict
		}
		if verdict == first {
			measures = append(measures, measureNames[m])
		}
	}
	return strings.Join(measures, " and ") + ": a one-quarter lag " + first
}

// lagVerdict judges whether goods in transit across the period's edge can
// explain measure m's gap between exports e and imports i.
func (v *view) lagVerdict(p pairHS, prev, next protocol.Quarter, e, i int64, m int, lim int64) string {
	ahead := e > i
	q := next
	if !ahead {
		q = prev
	}
	ne, ok1 := v.side(p.exp, protocol.FlowExport, p.imp, p.hs, q, 1)
	ni, ok2 := v.side(p.imp, protocol.FlowImport, p.exp, p.hs, q, 1)
	if !ok1 || !ok2 {
		return fmt.Sprintf("cannot be judged: %s is not in from both sides yet", q)
	}
	gap := max(e-i, i-e)
	excess := ni[m] - ne[m]
	if !ahead {
		excess = ne[m] - ni[m]
	}
	carried := min(max(excess, 0), gap)
	a, b := e, i+carried
	if !ahead {
		a, b = e+carried, i
	}
	if beyond(a, b, lim) {
		return "does not explain the gap"
	}
	return "would explain the gap"
}

// years returns the years of quarters qs, in order, without repeats.
func years(qs []protocol.Quarter) []int {
	var out []int
	for _, q := range qs {
		if n := len(out); n == 0 || out[n-1] != q.Year() {
			out = append(out, q.Year())
		}
	}
	return out
}

// sortedPairs returns the keys of m in a fixed order.
func sortedPairs(m map[pairHS][]protocol.Quarter) []pairHS {
	out := make([]pairHS, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b pairHS) int {
		return cmp.Or(cmp.Compare(a.exp, b.exp), cmp.Compare(a.imp, b.imp), cmp.Compare(a.hs, b.hs))
	})
	return out
}

// has reports whether b holds a row for k.
func (b book) has(k cell) bool {
	_, ok := b[k]
	return ok
}

// beyond reports whether a and b differ by more than limit hundredths of a
// percent of the larger.
func beyond(a, b, limit int64) bool {
	diff, base := max(a-b, b-a), max(a, b)
	return diff > 0 && (base == 0 || diff*10000 > base*limit)
}

func mirrorNote(p pairHS, period string, e, i [3]int64, broken []int) string {
	why := "goods issued at the period's end still in transit into the next one"
	if e[0] < i[0] {
		why = "the importer declares more than the exporter"
	}
	names := make([]string, len(broken))
	for j, m := range broken {
		names[j] = measureNames[m]
	}
	return fmt.Sprintf("%s's exports to %s in %s (%s): %s ct, USD %s, %d certificates; %s's imports: %s ct, USD %s, %d certificates; %s beyond the limit: %s",
		p.exp, p.imp, period, p.hs, protocol.Carats(e[0]), protocol.USD(e[1]), e[2], p.imp, protocol.Carats(i[0]), protocol.USD(i[1]), i[2],
		strings.Join(names, ", "), why)
}
