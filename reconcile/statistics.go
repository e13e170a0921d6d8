package reconcile

import (
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// Trade flows.
const (
	flowExport uint8 = 1
	flowImport uint8 = 2
)

func flowOf(s string) uint8 {
	switch s {
	case protocol.FlowExport:
		return flowExport
	case protocol.FlowImport:
		return flowImport
	}
	return 0
}

func flowName(f uint8) string {
	if f == flowExport {
		return protocol.FlowExport
	}
	return protocol.FlowImport
}

// cellKey is the natural key of a trade statistics row.
type cellKey struct {
	reporter, partner string
	flow              uint8
	q                 protocol.Quarter
	hs                string
}

// combo is a reporter's row without the quarter.
type combo struct {
	flow    uint8
	partner string
	hs      string
}

// pairHS is a trade direction, exporter to importer, for one HS code.
type pairHS struct{ exp, imp, hs string }

// pq is a participant and a quarter.
type pq struct {
	p string
	q protocol.Quarter
}

// phKey is a producer and a half-year.
type phKey struct {
	p string
	h protocol.Half
}

// Subject kinds other than slots.
const (
	subjMirrorQ    uint8 = iota + 1 // R9 by quarter: a exporter, b importer
	subjMirrorY                     // R9 by year
	subjCertStats                   // R10: a reporter, b partner
	subjChange                      // R11 period over period: a reporter, b partner
	subjMissing                     // R11 missing submissions: a reporter, flow its Obligation
	subjProduction                  // R12: a producer
	subjAuthor                      // R13: a the feed, b the entry's seq, year the batch item
)

// subjectKey names a subject of the statistics rules: what one evaluation
// looks at, and what owns the findings it yields.
type subjectKey struct {
	kind uint8
	flow uint8
	a, b string
	hs   string
	q    protocol.Quarter
	year int
	h    protocol.Half
}

// figures are the numbers of one side of a comparison.
type figures struct {
	carats, value, certs int64
	rows                 []*rec
}

func (f *figures) addRow(r *rec) {
	t := r.trade()
	f.carats += int64(t.Carats)
	f.value += int64(t.ValueUSD)
	f.certs += int64(t.Certificates)
	f.rows = append(f.rows, r)
}

func (f *figures) plus(g figures) {
	f.carats += g.carats
	f.value += g.value
	f.certs += g.certs
	f.rows = append(f.rows, g.rows...)
}

// cellRows returns the rows that count for cell k: for each origin (none
// stated being one), the last by position. A cell split by origin counts
// the sum of its origins, so that it compares with a partner's unsplit
// cell (docs/records.md §6).
func (s *State) cellRows(k cellKey) []*rec {
	rows := s.stats[k]
	if len(rows) <= 1 {
		return rows
	}
	var out []*rec
	for i := len(rows) - 1; i >= 0; i-- {
		o := rows[i].trade().Origin
		if !slices.ContainsFunc(out, func(r *rec) bool { return r.trade().Origin == o }) {
			out = append(out, rows[i])
		}
	}
	slices.Reverse(out)
	return out
}

// cell returns the figures of k; zero when the reporter sent no such row.
func (s *State) cell(k cellKey) figures {
	var f figures
	for _, r := range s.cellRows(k) {
		f.addRow(r)
	}
	return f
}

// submitted reports whether reporter sent statistics for q.
func (s *State) submitted(reporter string, q protocol.Quarter) bool { return s.subs[reporter][q] > 0 }

func (s *State) insertTrade(r *rec) {
	t := r.trade()
	flow := flowOf(t.Flow)
	if flow == 0 || t.Period.IsZero() {
		return
	}
	k := cellKey{t.Reporter, t.Partner, flow, t.Period, t.HSCode}
	rows := s.stats[k]
	s.stats[k] = insertSorted(rows, r)
	addSet(s.combos, t.Reporter, combo{flow, t.Partner, t.HSCode})
	p := pairOf(k)
	addSet(s.pairs, p.exp, p)
	addSet(s.pairs, p.imp, p)
	if len(rows) == 0 {
		s.countSubmission(t.Reporter, t.Period, 1)
	}
	s.touchCell(k)
}

func (s *State) removeTrade(r *rec) {
	t := r.trade()
	flow := flowOf(t.Flow)
	if flow == 0 || t.Period.IsZero() {
		return
	}
	k := cellKey{t.Reporter, t.Partner, flow, t.Period, t.HSCode}
	rows := removeRec(s.stats[k], r)
	if len(rows) == 0 {
		delete(s.stats, k)
		s.countSubmission(t.Reporter, t.Period, -1)
	} else {
		s.stats[k] = rows
	}
	s.touchCell(k)
}

func addSet[K comparable, V comparable](m map[K]map[V]struct{}, k K, v V) {
	set := m[k]
	if set == nil {
		set = map[V]struct{}{}
		m[k] = set
	}
	set[v] = struct{}{}
}

func pairOf(k cellKey) pairHS {
	if k.flow == flowExport {
		return pairHS{k.reporter, k.partner, k.hs}
	}
	return pairHS{k.partner, k.reporter, k.hs}
}

// touchCell schedules the subjects that read row k.
func (s *State) touchCell(k cellKey) {
	s.touchMirror(pairOf(k), k.q)
	s.touchStats(subjectKey{kind: subjCertStats, a: k.reporter, b: k.partner, flow: k.flow, q: k.q, hs: k.hs})
	s.touchStats(subjectKey{kind: subjChange, a: k.reporter, b: k.partner, flow: k.flow, q: k.q, hs: k.hs})
	s.touchStats(subjectKey{kind: subjChange, a: k.reporter, b: k.partner, flow: k.flow, q: k.q.Next(), hs: k.hs})
}

// touchStats schedules statistics subject k and its versions at the other
// level of a trade with the EU (eu.go), whose verdicts read the same rows.
func (s *State) touchStats(k subjectKey) {
	s.touch(k)
	for _, t := range twins(k.a, k.b) {
		k.a, k.b = t[0], t[1]
		s.touch(k)
	}
}

// touchMirror schedules the mirror subjects that read quarter q of pair p,
// at both levels of a trade with the EU.
func (s *State) touchMirror(p pairHS, q protocol.Quarter) {
	s.touchMirrorPair(p, q)
	for _, t := range twins(p.exp, p.imp) {
		s.touchMirrorPair(pairHS{t[0], t[1], p.hs}, q)
	}
}

// touchMirrorPair schedules the mirror subjects that read quarter q of
// pair p: the quarter and its neighbours (lag), and the years around it.
func (s *State) touchMirrorPair(p pairHS, q protocol.Quarter) {
	if !s.involves(p.exp, p.imp) {
		return
	}
	for _, x := range []protocol.Quarter{q.Prev(), q, q.Next()} {
		s.touch(subjectKey{kind: subjMirrorQ, a: p.exp, b: p.imp, hs: p.hs, q: x})
	}
	for y := q.Year() - 1; y <= q.Year()+1; y++ {
		s.touch(subjectKey{kind: subjMirrorY, a: p.exp, b: p.imp, hs: p.hs, year: y})
	}
}

// countSubmission counts the rows of (reporter, q). When the quarter goes
// from missing to submitted or back, every subject that asks "did the
// reporter submit q?" is scheduled.
func (s *State) countSubmission(reporter string, q protocol.Quarter, delta int) {
	m := s.subs[reporter]
	if m == nil {
		m = map[protocol.Quarter]int{}
		s.subs[reporter] = m
	}
	before := m[q]
	m[q] += delta
	if m[q] == 0 {
		delete(m, q)
	}
	if (before == 0) == (m[q] == 0) {
		return
	}
	for p := range s.pairs[reporter] {
		s.touchMirror(p, q)
	}
	for c := range s.combos[reporter] {
		s.touchStats(subjectKey{kind: subjCertStats, a: reporter, b: c.partner, flow: c.flow, q: q, hs: c.hs})
		s.touchStats(subjectKey{kind: subjChange, a: reporter, b: c.partner, flow: c.flow, q: q, hs: c.hs})
		s.touchStats(subjectKey{kind: subjChange, a: reporter, b: c.partner, flow: c.flow, q: q.Next(), hs: c.hs})
	}
	for k := range s.aggIndex[pq{reporter, q}] {
		s.touchStats(k)
	}
	if euSide(reporter) {
		s.euSubs[q] += delta
		if s.euSubs[q] == 0 {
			delete(s.euSubs, q)
		}
	}
	if len(m) == 0 {
		delete(s.subs, reporter)
	}
}

// touchCertStatsOf schedules every R10 subject of issuer's statistics and
// of its partners' statistics about it, when whether or from when its
// certificates are here changes. It walks all statistics rows, which is
// cheap (tens of thousands) and rare (once per quarter of history).
func (s *State) touchCertStatsOf(issuer string) {
	for k := range s.stats {
		if k.reporter == issuer || k.partner == issuer || euSide(issuer) && (euSide(k.reporter) || euSide(k.partner)) {
			s.touchStats(subjectKey{kind: subjCertStats, a: k.reporter, b: k.partner, flow: k.flow, q: k.q, hs: k.hs})
		}
	}
	for _, set := range s.aggIndex {
		for k := range set {
			if k.a == issuer || k.b == issuer || euSide(issuer) && (euSide(k.a) || euSide(k.b)) {
				s.touchStats(k)
			}
		}
	}
}

func (s *State) insertProd(r *rec) {
	p := r.prod()
	if p.Period.IsZero() {
		return
	}
	k := phKey{p.Reporter, p.Period}
	s.prod[k] = insertSorted(s.prod[k], r)
	s.touch(subjectKey{kind: subjProduction, a: k.p, h: k.h})
}

func (s *State) removeProd(r *rec) {
	p := r.prod()
	if p.Period.IsZero() {
		return
	}
	k := phKey{p.Reporter, p.Period}
	if rows := removeRec(s.prod[k], r); len(rows) == 0 {
		delete(s.prod, k)
	} else {
		s.prod[k] = rows
	}
	s.touch(subjectKey{kind: subjProduction, a: k.p, h: k.h})
}

// evalSubject evaluates one statistics subject.
func (s *State) evalSubject(k subjectKey) []Finding {
	switch k.kind {
	case subjMirrorQ:
		return s.checkMirrorQuarter(k)
	case subjMirrorY:
		return s.checkMirrorYear(k)
	case subjCertStats:
		return s.checkCertStats(k)
	case subjChange:
		return s.checkChange(k)
	case subjMissing:
		return s.checkMissing(k)
	case subjProduction:
		return s.checkProduction(k)
	case subjAuthor:
		return s.checkAuthor(k)
	}
	return nil
}
