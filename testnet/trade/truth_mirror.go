package trade

import (
	"fmt"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Rule R9 judged from the statistics the reporters send, as DOMAIN.md
// rule 9 states it: A's exports to B against B's imports from A per
// quarter and HS code, once both have submitted the quarter, a missing row
// counting as zero; carats, value and certificate count each judged on its
// own against mirror_quarterly_pct of the larger figure. A one-quarter lag
// is only shown as a possible explanation, never compared instead: goods
// issued at the end of the statistics quarter and received in the next one
// are in the exporter's row and not yet in the importer's, and when they
// make a gap beyond the limit that gap is a finding. Nobody reports the
// current quarter, so for exports ahead the lag cannot be judged yet, and
// the finding must say so.
//
// Every node judges the pairs it is part of with the rows it holds: its
// own and those its partners sent about it. A node knows a partner has
// submitted a quarter only from the partner's rows about it, so a pair may
// be compared at one end and not at the other.
//
// No reporter submits four quarters, so no yearly comparison arises. The
// EU trades only where none of its member-state authorities takes part
// (see tradeable), so no cell is reported both under "EU" and under a
// member state, and every comparison is at the one level modelled here.

// mirrorExpected returns the R9 findings that the final statistics b
// raise at each participant.
func (g *generator) mirrorExpected(b book) []Expected {
	limit := int64(reconcile.DefaultConfig().MirrorQuarterlyPct)
	var out []Expected
	for _, o := range g.opt.Participants {
		out = append(out, mirrorAt(b, o, limit)...)
	}
	return out
}

// mirrorAt returns the R9 findings node o raises from the rows it holds,
// with limit in hundredths of a percent.
func mirrorAt(b book, o string, limit int64) []Expected {
	subs := map[string]map[protocol.Quarter]bool{} // reporter → quarters o knows it submitted
	pairs := map[pairCell]map[protocol.Quarter]bool{}
	for _, k := range b.keys() {
		if k.reporter != o && k.partner != o {
			continue
		}
		if subs[k.reporter] == nil {
			subs[k.reporter] = map[protocol.Quarter]bool{}
		}
		subs[k.reporter][k.q] = true
		p := pairOf(k)
		if pairs[p] == nil {
			pairs[p] = map[protocol.Quarter]bool{}
		}
		pairs[p][k.q] = true
	}
	var out []Expected
	for _, k := range b.keys() {
		p := pairOf(k)
		if k.flow == protocol.FlowImport && b.has(cell{p.exp, protocol.FlowExport, p.imp, p.hs, k.q}) {
			continue // the pair is judged once, from its export row
		}
		if !pairs[p][k.q] || !subs[p.exp][k.q] || !subs[p.imp][k.q] {
			continue
		}
		e := b[cell{p.exp, protocol.FlowExport, p.imp, p.hs, k.q}]
		i := b[cell{p.imp, protocol.FlowImport, p.exp, p.hs, k.q}]
		if x, ok := mirrorFinding(p, k.q, e, i, limit, o); ok {
			out = append(out, x)
		}
	}
	return out
}

// has reports whether b holds a row for k.
func (b book) has(k cell) bool {
	_, ok := b[k]
	return ok
}

// mirrorFinding judges exports e against imports i of pair p in quarter
// q, and returns the finding o must raise when a measure breaks the limit.
func mirrorFinding(p pairCell, q protocol.Quarter, e, i figure, limit int64, o string) (Expected, bool) {
	es := [3]int64{int64(e.carats), int64(e.value), int64(e.certs)}
	is := [3]int64{int64(i.carats), int64(i.value), int64(i.certs)}
	var broken []string
	exportsAhead := true
	for m, name := range []string{"carats", "value", "certificates"} {
		if beyond(es[m], is[m], limit) {
			broken = append(broken, name)
			exportsAhead = exportsAhead && es[m] > is[m]
		}
	}
	if len(broken) == 0 {
		return Expected{}, false
	}
	id := fmt.Sprintf("R9/%s/%s/%s/%s", p.exp, p.imp, q, p.hs)
	x := expect(id, reconcile.Warning, mirrorNote(p, q, e, i, broken), o)
	x.Explains = "a one-quarter lag"
	if exportsAhead {
		// Goods issued in q and still travelling at its end: the
		// importer's next quarter would show them, and nobody has
		// reported it.
		x.Explains = fmt.Sprintf("a one-quarter lag cannot be judged: %s is not in from both sides yet", q.Next())
	}
	return x, true
}

// beyond reports whether a and b differ by more than limit hundredths of a
// percent of the larger.
func beyond(a, b, limit int64) bool {
	diff, base := max(a-b, b-a), max(a, b)
	return diff > 0 && (base == 0 || diff*10000 > base*limit)
}

func mirrorNote(p pairCell, q protocol.Quarter, e, i figure, broken []string) string {
	why := "goods issued at the quarter's end still in transit into the next one"
	if e.carats < i.carats {
		why = "the importer declares more than the exporter"
	}
	return fmt.Sprintf("%s's exports to %s in %s (%s): %s ct, USD %s, %d certificates; %s's imports: %s ct, USD %s, %d certificates; %s beyond the limit: %s",
		p.exp, p.imp, q, p.hs, e.carats, e.value, e.certs, p.imp, i.carats, i.value, i.certs, strings.Join(broken, ", "), why)
}
