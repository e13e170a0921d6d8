package reconcile

import (
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// contribution records what one slot adds to the aggregates: the unit
// values of its certificate's lines (R8), its sums per HS code counted in
// the export cell (issue quarter) and the import cell (importer, quarter of
// receipt) of R10, and its exports of own origin (R12). All of it is a
// function of the canonical certificate and confirmation, which are
// immutable, so only those two are kept: the old share is recomputed to
// take it out when they change. That keeps a slot small.
type contribution struct {
	cert, conf *rec
}

// lineRef places line i of the canonical certificate in a unit-value group.
type lineRef struct {
	line int32
	bin  int32
	g    *uvGroup
}

// hsPart is one HS code of a certificate: its carats and value.
type hsPart struct {
	hs            string
	carats, value int64
}

// cellRef is the partner and quarter a certificate is counted under.
type cellRef struct {
	other string
	q     protocol.Quarter
}

// aggKey names a cell of certificate sums: issuer, destination (exports)
// or importer (imports), quarter and HS code.
type aggKey struct {
	issuer, other string
	q             protocol.Quarter
	hs            string
}

// agg sums certificates.
type agg struct {
	carats, value, count int64
}

// share is a contribution worked out: scratch space of the State.
type share struct {
	lines    []lineRef
	parts    []hsPart
	exp, imp cellRef // imp is zero while the certificate is unconfirmed
	own      bool
	pending  bool // unconfirmed: counted in the pending cell of exp, not in an import cell
}

// shareOf works out what certificate cr with confirmation cf contributes;
// the lines only when withLines (they depend on the certificate alone).
func (s *State) shareOf(cr, cf *rec, withLines bool, sh *share) {
	sh.lines, sh.parts, sh.exp, sh.imp, sh.own, sh.pending = sh.lines[:0], sh.parts[:0], cellRef{}, cellRef{}, false, false
	if cr == nil {
		return
	}
	c := cr.cert()
	if withLines {
		sh.lines = s.linesOf(c, sh.lines)
	}
	sh.parts = sumsByHS(sh.parts, c.lines())
	sh.exp = cellRef{c.destination(), protocol.QuarterOf(c.issued())}
	if cf != nil {
		sh.imp = cellRef{cf.author(), protocol.QuarterOf(cf.conf().Received)}
	} else {
		sh.pending = true // imports count what the importer confirmed it received
	}
	sh.own = len(c.origin()) == 1 && c.origin()[0] == c.issuer()
}

// linesOf appends the unit-value group and bin of each line of c.
func (s *State) linesOf(c *certificate, dst []lineRef) []lineRef {
	origin := originGroup(c.origin())
	for i, l := range c.lines() {
		if bin, ok := uvBin(l.ValueUSD, l.Carats); ok {
			dst = append(dst, lineRef{int32(i), bin, s.groupFor(groupKey{origin, l.HSCode, c.issued().Year})})
		}
	}
	return dst
}

// recontribute brings the slot's contribution up to date: it takes the
// old share out and puts the new one in, touching only what differs.
func (s *State) recontribute(sl *slot) {
	old := sl.contrib
	cr := sl.canonicalCert()
	var cf *rec
	if cr != nil {
		cf = sl.canonicalConf(cr.cert().destination())
	}
	if cr != old.cert || cf != old.conf {
		was, now := &s.shareBuf[0], &s.shareBuf[1]
		s.shareOf(old.cert, old.conf, cr != old.cert, was)
		s.shareOf(cr, cf, cr != old.cert, now)
		s.applyShare(sl, was, now)
		sl.contrib = contribution{cr, cf}
		if cr != nil {
			sl.codes = codesOf(cr.cert())
		}
	}
	s.updateOrphan(sl)
}

func (s *State) applyShare(sl *slot, was, now *share) {
	if !slices.Equal(was.lines, now.lines) {
		s.moveLines(sl, was.lines, now.lines)
	}
	sameParts := slices.Equal(was.parts, now.parts)
	if !sameParts || was.exp != now.exp {
		s.moveAgg(s.expAgg, sl.issuer, was.parts, was.exp, now.parts, now.exp, flowExport)
	}
	if !sameParts || was.imp != now.imp {
		s.moveAgg(s.impAgg, sl.issuer, was.parts, was.imp, now.parts, now.imp, flowImport)
	}
	if was.pending != now.pending || (was.pending || now.pending) && (!sameParts || was.exp != now.exp) {
		if was.pending {
			s.movePending(sl, was.parts, was.exp, -1)
		}
		if now.pending {
			s.movePending(sl, now.parts, now.exp, 1)
		}
	}
	if was.own != now.own || now.own && (!sameParts || was.exp != now.exp) {
		if was.own {
			s.addOwn(sl.issuer, was.exp.q, was.parts, -1)
		}
		if now.own {
			s.addOwn(sl.issuer, now.exp.q, now.parts, 1)
		}
	}
}

func (s *State) updateOrphan(sl *slot) {
	orphan := len(sl.certs) == 0 && len(sl.confs)+len(sl.pres) > 0
	set := s.orphans[sl.issuer]
	switch {
	case orphan && set == nil:
		s.orphans[sl.issuer] = map[*slot]struct{}{sl: {}}
	case orphan:
		set[sl] = struct{}{}
	case set != nil:
		delete(set, sl)
		if len(set) == 0 {
			delete(s.orphans, sl.issuer)
		}
	}
}

// sumsByHS appends to dst the sums of the lines per HS code, in code order.
func sumsByHS(dst []hsPart, lines []protocol.CertificateLine) []hsPart {
	start := len(dst)
	for _, l := range lines {
		i := start
		for i < len(dst) && dst[i].hs != l.HSCode {
			i++
		}
		if i == len(dst) {
			dst = append(dst, hsPart{hs: l.HSCode})
		}
		dst[i].carats += int64(l.Carats)
		dst[i].value += int64(l.ValueUSD)
	}
	part := dst[start:]
	for i := 1; i < len(part); i++ { // insertion sort: at most a handful
		for j := i; j > 0 && part[j].hs < part[j-1].hs; j-- {
			part[j], part[j-1] = part[j-1], part[j]
		}
	}
	return dst
}

func (s *State) moveLines(sl *slot, old, next []lineRef) {
	for _, l := range old {
		l.g.add(l.bin, -1)
		delete(l.g.flagged, sl)
		s.dirtyGroup(l.g)
	}
	for _, l := range next {
		l.g.add(l.bin, 1)
		l.g.members = append(l.g.members, member{l.bin, sl})
		s.dirtyGroup(l.g)
	}
}

// moveAgg takes old parts out of their cell and puts next parts in,
// touching the R10 subjects of the cells that changed.
// A zero cell (an unconfirmed certificate's import cell) counts nowhere.
func (s *State) moveAgg(cells map[aggKey]*agg, issuer string, oldParts []hsPart, oldCell cellRef, nextParts []hsPart, nextCell cellRef, flow uint8) {
	if oldCell != (cellRef{}) {
		for _, p := range oldParts {
			s.addAgg(cells, aggKey{issuer, oldCell.other, oldCell.q, p.hs}, p, -1, flow)
		}
	}
	if nextCell != (cellRef{}) {
		for _, p := range nextParts {
			s.addAgg(cells, aggKey{issuer, nextCell.other, nextCell.q, p.hs}, p, 1, flow)
		}
	}
}

// pendingCell is what certificates to one destination, issued in one
// quarter under one HS code, add up to while unconfirmed, and which they
// are: R10 names them when the destination's import statistics differ.
type pendingCell struct {
	agg
	slots map[*slot]struct{}
}

// movePending counts (sign 1) or uncounts (-1) the unconfirmed slot sl in
// the pending cells of its parts, and touches the import subjects that
// name them.
func (s *State) movePending(sl *slot, parts []hsPart, cell cellRef, sign int64) {
	for _, p := range parts {
		key := aggKey{sl.issuer, cell.other, cell.q, p.hs}
		pc := s.pending[key]
		if pc == nil {
			pc = &pendingCell{slots: map[*slot]struct{}{}}
			s.pending[key] = pc
		}
		pc.carats += sign * p.carats
		pc.value += sign * p.value
		pc.count += sign
		if sign > 0 {
			pc.slots[sl] = struct{}{}
		} else {
			delete(pc.slots, sl)
		}
		if pc.count == 0 {
			delete(s.pending, key)
		}
		if s.submitted(cell.other, cell.q) || s.euSubs[cell.q] > 0 && euSide(cell.other) {
			s.touchStats(subjectKey{kind: subjCertStats, a: cell.other, b: sl.issuer, flow: flowImport, q: cell.q, hs: p.hs})
		}
	}
}

func (s *State) addAgg(cells map[aggKey]*agg, key aggKey, p hsPart, sign int64, flow uint8) {
	c := &s.aggCache[flow&1]
	a := c.a
	if a == nil || c.key != key {
		if a = cells[key]; a == nil {
			a = &agg{}
			cells[key] = a
		}
		c.key, c.a = key, a
	}
	a.carats += sign * p.carats
	a.value += sign * p.value
	a.count += sign
	k := certStatsSubject(key, flow)
	idx := pq{k.a, k.q}
	// Without the reporter's statistics for the quarter the subject has no
	// finding; countSubmission schedules it when they arrive. Its Union
	// version (eu.go) may have a reporter of its own: "EU", submitted when
	// any EU authority submitted.
	if s.submitted(k.a, k.q) {
		s.touchStats(k)
	} else if len(s.euSubs) > 0 && s.euSubs[k.q] > 0 && euSide(k.a) {
		s.touchStats(k)
	}
	if a.count == 0 {
		delete(cells, key)
		c.a = nil
		if set := s.aggIndex[idx]; set != nil {
			delete(set, k)
			if len(set) == 0 {
				delete(s.aggIndex, idx)
			}
		}
	} else if a.count == 1 && sign > 0 {
		set := s.aggIndex[idx]
		if set == nil {
			set = map[subjectKey]struct{}{}
			s.aggIndex[idx] = set
		}
		set[k] = struct{}{}
	}
}

// addOwn counts a certificate of own origin issued in quarter q.
func (s *State) addOwn(issuer string, q protocol.Quarter, parts []hsPart, sign int64) {
	k := phKey{issuer, q.Half()}
	a := s.ownExp[k]
	if a == nil {
		a = &agg{}
		s.ownExp[k] = a
	}
	for _, p := range parts {
		a.carats += sign * p.carats
		a.value += sign * p.value
	}
	a.count += sign
	if a.count == 0 {
		delete(s.ownExp, k)
	}
	if len(s.prod[k]) > 0 { // without production figures there is no finding
		s.touch(subjectKey{kind: subjProduction, a: k.p, h: k.h})
	}
}

// certStatsSubject returns the R10 subject that compares cell key: the
// exporter's export row for export sums, the importer's import row for
// import sums.
func certStatsSubject(key aggKey, flow uint8) subjectKey {
	if flow == flowExport {
		return subjectKey{kind: subjCertStats, a: key.issuer, b: key.other, flow: flowExport, q: key.q, hs: key.hs}
	}
	return subjectKey{kind: subjCertStats, a: key.other, b: key.issuer, flow: flowImport, q: key.q, hs: key.hs}
}
