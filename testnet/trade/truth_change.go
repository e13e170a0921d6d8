package trade

import (
	"fmt"

	"github.com/kpnode/kpnode/reconcile"
)

// Rule R11's quarter-on-quarter change judged from the statistics: a
// reporter's figure for a partner, flow and HS code that moved by more
// than period_change_pct (carats or value) against the previous quarter,
// both quarters submitted, a missing row counting as zero and a previous
// figure of zero having no base. With a window of several quarters clean
// trade raises some: a small flow of a few certificates a quarter doubles
// or halves by chance, and the window's first quarter is met only in
// part. Every node that holds the reporter's rows raises them: the
// reporter and the partner they are about.

// changeExpected returns the R11 change findings every participant raises
// from its view of the final statistics.
func (g *generator) changeExpected(vs map[string]*view) []Expected {
	lim := int64(reconcile.DefaultConfig().PeriodChangePct)
	var out []Expected
	for _, o := range g.opt.Participants {
		v := vs[o]
		for _, k := range v.rows.keys() {
			prev := v.rows[k]
			q := k.q.Next()
			if prev.carats == 0 && prev.value == 0 || !v.subs[k.reporter][q] {
				continue
			}
			cur := k
			cur.q = q
			now := v.rows[cur]
			if !changed(int64(now.carats), int64(prev.carats), lim) && !changed(int64(now.value), int64(prev.value), lim) {
				continue
			}
			note := fmt.Sprintf("%s's %ss %s %s (%s): %s ct in %s against %s ct in %s", k.reporter, k.flow, toFrom(k.flow), k.partner,
				k.hs, now.carats, q, prev.carats, k.q)
			out = append(out, expect(statsID("R11", cur), reconcile.Info, note, o))
		}
	}
	return out
}

// changed reports whether cur moved from prev by more than limit
// hundredths of a percent of prev; any move from zero counts.
func changed(cur, prev, limit int64) bool {
	diff := max(cur-prev, prev-cur)
	return diff > 0 && (prev <= 0 || diff*10000 > prev*limit)
}
