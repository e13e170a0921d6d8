package reconcile

import (
	"hash/maphash"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// slot gathers everything recorded about one certificate (issuer, number):
// the certificate records, the import confirmations and the
// pre-notifications that cite it. Rules R1–R8 evaluate one slot at a time.
type slot struct {
	issuer, number string
	// The records, each list sorted by position.
	certs, confs, pres []*rec
	// Room for the usual single certificate and confirmation, so that
	// they cost no allocation of their own.
	certBuf, confBuf [1]*rec

	next    *slot        // the next slot with the same hash
	ids     []string     // the findings this slot owns
	contrib contribution // what the slot adds to the aggregates
	hpos    int          // position in the timer heap (R2), 1-based; 0 when not in it
	mark    uint64       // touched in the current commit (epoch+1)
	tmask   ruleMask     // the rules to evaluate in the current commit
	codes   uint64       // codeBit of the certificate's destination and origins
	dmark   uint64       // contributions to recompute in the current commit
}

// name returns "<issuer>/<number>", the slot's part of finding ids.
func (sl *slot) name() string { return sl.issuer + "/" + sl.number }

func (sl *slot) empty() bool { return len(sl.certs)+len(sl.confs)+len(sl.pres) == 0 }

// canonicalCert returns the certificate record the rules use: the one the
// issuer itself recorded (for "EU", one of its member-state authorities),
// else the first by position; nil when none.
func (sl *slot) canonicalCert() *rec {
	for _, r := range sl.certs {
		if sameAuthority(r.author(), sl.issuer) {
			return r
		}
	}
	if len(sl.certs) > 0 {
		return sl.certs[0]
	}
	return nil
}

// canonicalConf returns the confirmation that attributes the import: the
// destination's own, else the first by position; nil when none.
func (sl *slot) canonicalConf(destination string) *rec {
	for _, r := range sl.confs {
		if sameAuthority(r.author(), destination) {
			return r
		}
	}
	if len(sl.confs) > 0 {
		return sl.confs[0]
	}
	return nil
}

// importer returns the participant that imported or will import the
// certificate's goods: the author of the canonical confirmation, else the
// certificate's destination.
func (sl *slot) importer() string {
	dest := ""
	if cr := sl.canonicalCert(); cr != nil {
		dest = cr.cert().destination()
	}
	if cf := sl.canonicalConf(dest); cf != nil {
		return cf.author()
	}
	return dest
}

// refs returns the RecordRefs of the slot's certificates, confirmations and
// pre-notifications, in that order.
func (sl *slot) refs() []RecordRef {
	out := make([]RecordRef, 0, len(sl.certs)+len(sl.confs)+len(sl.pres))
	for _, list := range [][]*rec{sl.certs, sl.confs, sl.pres} {
		for _, r := range list {
			out = append(out, refOf(r))
		}
	}
	return out
}

// newest returns the latest entry time of the slot's records.
func (sl *slot) newest() (t0 time.Time) {
	for _, list := range [][]*rec{sl.certs, sl.confs, sl.pres} {
		for _, r := range list {
			t0 = latest(t0, r.when())
		}
	}
	return t0
}

// issuerInfo tracks an issuer whose own certificate records are here: the
// State then knows every certificate it issued to this node's participant.
type issuerInfo struct {
	certs  int              // certificate records the issuer authored
	first  protocol.Date    // earliest issue date seen (never moves later)
	firstQ protocol.Quarter // its quarter
}

func docKey(r *rec) (issuer, number string) {
	switch r.kind {
	case kindCert:
		c := r.cert()
		return c.issuer(), c.number()
	case kindConf:
		c := r.conf()
		return c.Issuer, c.CertificateNumber
	default:
		p := r.pre()
		return p.Issuer, p.CertificateNumber
	}
}

// slotHash hashes a natural key. The slots map is keyed by this hash, so
// that growing it moves integers rather than chasing string pointers, and
// slots with the same hash are chained.
func (s *State) slotHash(issuer, number string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(issuer)
	h.WriteByte(0)
	h.WriteString(number)
	return h.Sum64()
}

// slotFor returns the slot of (issuer, number), creating it.
func (s *State) slotFor(issuer, number string) *slot {
	h := s.slotHash(issuer, number)
	head := s.slots[h]
	for sl := head; sl != nil; sl = sl.next {
		if sl.number == number && sl.issuer == issuer {
			return sl
		}
	}
	sl := s.slotBlocks.next()
	sl.issuer, sl.number, sl.next = issuer, number, head
	sl.certs, sl.confs = sl.certBuf[:0], sl.confBuf[:0]
	s.slots[h] = sl
	return sl
}

// lookupSlot returns the slot of (issuer, number), or nil.
func (s *State) lookupSlot(issuer, number string) *slot {
	for sl := s.slots[s.slotHash(issuer, number)]; sl != nil; sl = sl.next {
		if sl.number == number && sl.issuer == issuer {
			return sl
		}
	}
	return nil
}

// dropSlot forgets an empty slot without findings. References to it in
// the unit-value groups are harmless: it has no lines.
func (s *State) dropSlot(sl *slot) {
	h := s.slotHash(sl.issuer, sl.number)
	if head := s.slots[h]; head == sl {
		if sl.next == nil {
			delete(s.slots, h)
		} else {
			s.slots[h] = sl.next
		}
		return
	}
	for p := s.slots[h]; p != nil; p = p.next {
		if p.next == sl {
			p.next = sl.next
			return
		}
	}
}

// eachSlot calls fn for every slot.
func (s *State) eachSlot(fn func(*slot)) {
	for _, head := range s.slots {
		for sl := head; sl != nil; sl = sl.next {
			fn(sl)
		}
	}
}

// involves reports whether the slot's certificate names code as issuer,
// destination or origin. The codes mask answers most slots without
// reading the certificate.
func (sl *slot) involves(code string) bool {
	if sl.issuer == code {
		return true
	}
	if sl.codes&codeBit(code) == 0 {
		return false
	}
	cr := sl.canonicalCert()
	if cr == nil {
		return false
	}
	c := cr.cert()
	return c.destination() == code || slices.Contains(c.origin(), code)
}

// dirty schedules the slot's contributions to be recomputed and rules m of
// the slot to be evaluated.
func (s *State) dirty(sl *slot, m ruleMask) {
	if sl.dmark != s.epoch+1 {
		sl.dmark = s.epoch + 1
		s.dSlots = append(s.dSlots, sl)
	}
	s.touchSlot(sl, m)
}

// docMask returns the rules to evaluate after a confirmation or
// pre-notification changed: docRules, or all of them when the importer
// (and so the partner of every finding) changed.
func docMask(before, after string) ruleMask {
	if before != after {
		return allSlotRules
	}
	return docRules
}

func (s *State) insertDoc(r *rec) {
	issuer, number := docKey(r)
	sl := s.slotFor(issuer, number)
	r.slot = sl
	switch r.kind {
	case kindCert:
		sl.certs = insertSorted(sl.certs, r)
		if sameAuthority(r.author(), issuer) {
			s.issuerAdd(issuer, r.cert().issued())
		}
		s.dirty(sl, allSlotRules)
	case kindConf:
		importer := sl.importer()
		sl.confs = insertSorted(sl.confs, r)
		s.dirty(sl, docMask(importer, sl.importer()))
	case kindPre:
		sl.pres = insertSorted(sl.pres, r)
		s.dirty(sl, docRules)
	}
}

func (s *State) removeDoc(r *rec) {
	sl := r.slot
	switch r.kind {
	case kindCert:
		sl.certs = removeRec(sl.certs, r)
		if sameAuthority(r.author(), sl.issuer) {
			s.issuerRemove(sl.issuer)
		}
		s.dirty(sl, allSlotRules)
	case kindConf:
		importer := sl.importer()
		sl.confs = removeRec(sl.confs, r)
		s.dirty(sl, docMask(importer, sl.importer()))
	case kindPre:
		sl.pres = removeRec(sl.pres, r)
		s.dirty(sl, docRules)
	}
}

// issuerAdd counts a certificate the issuer recorded itself. When the
// issuer starts sharing, or its history reaches further back, the slots
// citing it without a certificate (R3) and its certificate sums (R10) are
// looked at again.
func (s *State) issuerAdd(issuer string, issued protocol.Date) {
	info := s.issuers[issuer]
	if info == nil {
		info = &issuerInfo{}
		s.issuers[issuer] = info
	}
	info.certs++
	if info.first.IsZero() || dateBefore(issued, info.first) {
		info.first = issued
		s.touchOrphans(issuer)
		if q := protocol.QuarterOf(issued); info.firstQ.IsZero() || q.Compare(info.firstQ) < 0 {
			info.firstQ = q
			s.touchCertStatsOf(issuer)
		}
	}
}

func (s *State) issuerRemove(issuer string) {
	info := s.issuers[issuer]
	if info == nil {
		return
	}
	if info.certs--; info.certs == 0 {
		delete(s.issuers, issuer)
		s.touchOrphans(issuer)
		s.touchCertStatsOf(issuer)
	}
}

func (s *State) touchOrphans(issuer string) {
	for sl := range s.orphans[issuer] {
		s.touchSlot(sl, bit(ruleUnknown))
	}
}

// shares reports whether the issuer's own certificate records are here,
// and from which date.
func (s *State) shares(issuer string) (*issuerInfo, bool) {
	info := s.issuers[issuer]
	return info, info != nil
}

func insertSorted(list []*rec, r *rec) []*rec {
	i, _ := slices.BinarySearchFunc(list, r, compareRecs)
	return slices.Insert(list, i, r)
}

func removeRec(list []*rec, r *rec) []*rec {
	if i := slices.Index(list, r); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

// codeBit maps a participant code to one of 64 bits.
func codeBit(code string) uint64 {
	h := uint64(0)
	for i := 0; i < len(code); i++ {
		h = h*31 + uint64(code[i])
	}
	return 1 << (h % 64)
}

// codesOf returns the codes mask of a certificate: destination and origins.
func codesOf(c *certificate) uint64 {
	m := codeBit(c.destination())
	for _, o := range c.origin() {
		m |= codeBit(o)
	}
	return m
}
