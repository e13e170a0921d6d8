package reconcile

import (
	"math"
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// Unit values are compared on a logarithmic grid: a line's bin is
// floor(ln(USD/ct) / uvBinWidth), so one bin is about 1 %. Each group of
// lines (origin, HS code, year) keeps a Fenwick tree of bin counts, from
// which its median and median absolute deviation (MAD) follow in O(log n)
// whatever the order the lines came in. This is the only place with
// floating point: logarithms of unit values, and the z-score limit.
const (
	uvBinWidth = 0.01
	uvBinMin   = -1200 // e^-12: $0.000006 per carat
	uvBinMax   = 1800  // e^18: $66 million per carat
	uvBins     = uvBinMax - uvBinMin + 1
	uvMinMAD   = 5      // bins: the spread never counts as less than 5 %
	madToSigma = 0.6745 // robust z = 0.6745 (x - median) / MAD
)

// groupKey names a unit-value group. origin is a country code, or MIXED for
// mixed or multiple origins.
type groupKey struct {
	origin, hs string
	year       int
}

// originGroup returns the group origin of a certificate's origin list.
func originGroup(origin []string) string {
	if len(origin) == 1 {
		return origin[0]
	}
	return originMixed
}

// uvBin returns the bin of a line's unit value; false for a line without
// carats or value.
func uvBin(value protocol.USD, carats protocol.Carats) (int32, bool) {
	if value <= 0 || carats <= 0 {
		return 0, false
	}
	b := math.Floor(math.Log(float64(value)/float64(carats)) / uvBinWidth)
	return int32(min(max(b, uvBinMin), uvBinMax)), true
}

// binUSD returns the unit value at the middle of bin b, to the cent.
func binUSD(b float64) protocol.USD {
	return protocol.USD(math.Round(math.Exp((b+0.5)*uvBinWidth) * 100))
}

// Kinds of reference.
const (
	refNone   uint8 = iota // nothing to compare with: no line is flagged
	refTable               // the reference table, before the group is large enough
	refSample              // the group's own median and MAD
)

// Sides of a reference that flag lines.
const (
	sideBoth  int8 = iota
	sideBelow      // only lines below the band: an all-quality average against gem lines
	sideAbove      // only lines above it: an all-quality average against industrial lines
)

// uvRef is a group's reference: lines farther than limit bins from center,
// on the sides it flags, are outliers.
type uvRef struct {
	kind        uint8
	side        int8
	center      int32
	limit       int32
	bandLimit   int32 // the ×band limit alone
	mad         int32 // bins, for refSample
	n           int   // lines, for refSample
	tableUSD    protocol.USD
	tableYear   int
	tableFrom   string // the table's origin row: the origin, or WORLD
	tableHS     string // the table's HS code row, or allQualities
	tableSource string
}

func (r *uvRef) inside(bin int32) bool {
	if r.kind == refNone {
		return true
	}
	d := bin - r.center
	switch r.side {
	case sideBelow:
		return d >= -r.limit
	case sideAbove:
		return d <= r.limit
	}
	return abs32(d) <= r.limit
}

// sameVerdicts reports whether r and o flag the same bins and give the
// same figures, so that nothing needs evaluating again.
func (r *uvRef) sameAs(o *uvRef) bool {
	a, b := *r, *o
	a.n, b.n = 0, 0
	return a == b
}

// uvGroup holds the lines of one origin, HS code and year.
type uvGroup struct {
	key     groupKey
	n       int
	tree    []int32            // Fenwick tree of bin counts, 1-based
	members []member           // every line's bin and slot; may hold stale entries
	flagged map[*slot]struct{} // slots with an outlier line in this group
	ref     uvRef
	dmark   uint64
}

func (s *State) groupFor(k groupKey) *uvGroup {
	if g := s.groups[k]; g != nil {
		return g
	}
	g := &uvGroup{key: k, tree: make([]int32, uvBins+1), flagged: map[*slot]struct{}{}}
	g.ref = s.referenceOf(g)
	s.groups[k] = g
	return g
}

func (s *State) dirtyGroup(g *uvGroup) {
	if g.dmark != s.epoch+1 {
		g.dmark = s.epoch + 1
		s.dGroups = append(s.dGroups, g)
	}
}

// add counts delta lines in bin.
func (g *uvGroup) add(bin int32, delta int32) {
	g.n += int(delta)
	for i := int(bin-uvBinMin) + 1; i <= uvBins; i += i & -i {
		g.tree[i] += delta
	}
}

// prefix returns the number of lines in bins up to and including bin.
func (g *uvGroup) prefix(bin int32) int {
	i := int(bin-uvBinMin) + 1
	if i <= 0 {
		return 0
	}
	i = min(i, uvBins)
	n := 0
	for ; i > 0; i -= i & -i {
		n += int(g.tree[i])
	}
	return n
}

// medianNear returns the lower median bin, trying guess first: two prefix
// queries confirm it in the usual case, where one more line moved nothing.
func (g *uvGroup) medianNear(guess int32) int32 {
	want := (g.n + 1) / 2
	if guess >= uvBinMin && guess <= uvBinMax && g.prefix(guess-1) < want && g.prefix(guess) >= want {
		return guess
	}
	return g.median()
}

// madNear is mad, trying guess first.
func (g *uvGroup) madNear(center, guess int32) int32 {
	want := (g.n + 1) / 2
	within := func(d int32) int { return g.prefix(center+d) - g.prefix(center-d-1) }
	if guess >= 0 && within(guess) >= want && (guess == 0 || within(guess-1) < want) {
		return guess
	}
	return g.mad(center)
}

// median returns the lower median bin.
func (g *uvGroup) median() int32 {
	want := int32((g.n + 1) / 2)
	pos, step := 0, 1
	for step*2 <= uvBins {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if next := pos + step; next <= uvBins && g.tree[next] < want {
			pos = next
			want -= g.tree[next]
		}
	}
	return int32(pos) + uvBinMin // pos is the 0-based index of the bin
}

// mad returns the median absolute deviation from center, in bins: the
// smallest d with at least half the lines within center ± d.
func (g *uvGroup) mad(center int32) int32 {
	want := (g.n + 1) / 2
	lo, hi := int32(0), int32(uvBins)
	for lo < hi {
		d := (lo + hi) / 2
		if g.prefix(center+d)-g.prefix(center-d-1) >= want {
			hi = d
		} else {
			lo = d + 1
		}
	}
	return lo
}

// referenceOf computes g's reference from its lines and the table.
func (s *State) referenceOf(g *uvGroup) uvRef {
	band := int32(math.Floor(math.Log(s.cfg.UnitValueBand) / uvBinWidth))
	if g.n >= s.cfg.UnitValueMinSample {
		center, mad := g.median(), int32(0)
		if g.ref.kind == refSample {
			center = g.medianNear(g.ref.center)
			mad = g.madNear(center, g.ref.mad)
		} else {
			mad = g.mad(center)
		}
		z := int32(math.Floor(s.cfg.UnitValueZ * float64(max(mad, uvMinMAD)) / madToSigma))
		return uvRef{kind: refSample, center: center, limit: min(band, z), bandLimit: band, mad: mad, n: g.n}
	}
	from := g.key.origin
	if from == originMixed {
		from = originWorld
	}
	row, ok := s.ref.lookup(from, g.key.hs, g.key.year)
	side, hs := sideBoth, g.key.hs
	if !ok {
		// An all-quality average lies below the gem lines and above the
		// industrial ones of a mixed production (DRC: USD 7/ct overall,
		// gem lines 20-50): it bounds each from one side only.
		row, ok = s.ref.lookup(from, allQualities, g.key.year)
		side, hs = allQualitySide(g.key.hs), allQualities
	}
	if !ok {
		return uvRef{}
	}
	b, _ := uvBin(row.value, 100)
	return uvRef{kind: refTable, side: side, center: b, limit: band, bandLimit: band,
		tableUSD: row.value, tableYear: row.year, tableFrom: from, tableHS: hs, tableSource: row.source}
}

// allQualitySide returns the side an all-quality average bounds lines of
// HS code hs from: gem lines from below, industrial lines from above,
// unsorted goods (all qualities themselves) from both.
func allQualitySide(hs string) int8 {
	switch hs {
	case gemHS:
		return sideBelow
	case industrialHS:
		return sideAbove
	}
	return sideBoth
}

// updateGroup recomputes g's reference after its lines changed and
// schedules the slots whose verdict or figures change: those in bins that
// crossed the limit, and those already flagged. It walks the group's lines
// in one sequential pass; a group is one origin, HS code and year, a few
// thousand lines even at Antwerp's volume, and its reference moves a few
// hundred times in its life.
func (s *State) updateGroup(g *uvGroup) {
	next := s.referenceOf(g)
	if next.sameAs(&g.ref) {
		g.ref = next
		return
	}
	old := g.ref
	g.ref = next
	for _, m := range g.members {
		if old.inside(m.bin) != next.inside(m.bin) {
			s.touchSlot(m.slot, bit(ruleUnitValue))
		}
	}
	for sl := range g.flagged {
		s.touchSlot(sl, bit(ruleUnitValue))
	}
	s.compact(g)
}

// compact drops stale members (a slot listed with a bin where it no
// longer has a line) once they are as many as the lines.
func (s *State) compact(g *uvGroup) {
	if len(g.members) < 64 || len(g.members) < 2*g.n {
		return
	}
	kept := g.members[:0]
	for _, m := range g.members {
		if s.hasLine(m.slot, g, m.bin) && !slices.Contains(kept, m) {
			kept = append(kept, m)
		}
	}
	clear(g.members[len(kept):])
	g.members = kept
}

func (s *State) hasLine(sl *slot, g *uvGroup, bin int32) bool {
	if sl.contrib.cert == nil {
		return false
	}
	s.lines = s.linesOf(sl.contrib.cert.cert(), s.lines[:0])
	for _, l := range s.lines {
		if l.g == g && l.bin == bin {
			return true
		}
	}
	return false
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// member is one line of a group: its bin and its slot.
type member struct {
	bin  int32
	slot *slot
}

// SetUnitValues makes ref the unit-value reference table (an operator
// loaded a newer valuation table, or went back to the default) and
// returns the findings that raised, changed or cleared with it, as
// [State.Add] does. Every group takes its reference from ref again; the
// lines of a group whose reference moved are evaluated again as when
// lines arrive (those that crossed a limit, and those already flagged),
// so the cost is that of the groups, not of the certificates.
func (s *State) SetUnitValues(ref UnitValues) (changed []Finding, cleared []string) {
	s.ref = ref
	for _, g := range s.groups {
		s.dirtyGroup(g)
	}
	return s.commit()
}
