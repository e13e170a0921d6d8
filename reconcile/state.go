package reconcile

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// State holds the records of one node and the findings of the thirteen
// cross-checks over them, kept current as records are added. It is not
// safe for concurrent use: its owner serialises calls.
type State struct {
	cfg  *compiled
	self string
	ref  UnitValues

	clock  time.Time // the latest now seen; zero before the first Findings or Advance
	timers timerHeap // R2 deadlines of unconfirmed certificates
	calDue [4]period // by obligation, the latest period missing at clock if not received (R11)

	chains *Chains[*rec] // every record by position; the current ones are live (current.go)

	// Certificates, confirmations and pre-notifications, by (issuer, number).
	slots    map[uint64]*slot // by hash of issuer and number, chained
	seed     maphash.Seed
	issuers  map[string]*issuerInfo         // issuers whose own certificates are here
	orphans  map[string]map[*slot]struct{}  // slots citing an issuer without a certificate (R3)
	groups   map[groupKey]*uvGroup          // unit values by origin, HS code and year (R8)
	expAgg   map[aggKey]*agg                // certificate sums by issue quarter (R10)
	impAgg   map[aggKey]*agg                // confirmed certificate sums by import quarter (R10)
	pending  map[aggKey]*pendingCell        // unconfirmed certificates by destination and issue quarter (R10)
	aggIndex map[pq]map[subjectKey]struct{} // R10 subjects with certificate sums, by participant and quarter
	ownExp   map[phKey]*agg                 // exports of own origin by producer and half (R12)

	// Statistics.
	stats  map[cellKey][]*rec                  // trade statistics rows by natural key; the last one counts
	subs   map[string]map[protocol.Quarter]int // reporter → quarter → rows
	euSubs map[protocol.Quarter]int            // quarter → EU authorities (and "EU") that submitted it
	combos map[string]map[combo]struct{}       // reporter → (flow, partner, HS code) of its rows
	pairs  map[string]map[pairHS]struct{}      // participant → trade pairs it is part of
	prod   map[phKey][]*rec                    // production statistics; the last one counts

	// The submission calendar (calendar_index.go) and the findings annual
	// reports answer (answers.go).
	subm    submissions
	parties []string // tracked besides self and the reporters held (SetParties)
	answers map[string][]*rec

	// Notices and the participant list.
	members   *protocol.Membership // nil: the built-in list (membership.go)
	vigilance map[string][]*rec    // origin → enhanced-vigilance notices

	// Records written in another authority's name (R13): kept out of
	// every other rule.
	foreign map[recID]*foreignRec

	// Findings.
	active     map[string]*held
	owned      map[subjectKey][]string // finding ids of subjects other than slots
	order      []*held                 // active, sorted by id; nil when a finding came or went since
	names      names                   // the partners and periods of held findings, numbered (names.go)
	index      findingIndex            // the ids of active by partner and period, counts by rule
	digests    digester                // the held findings' digests (digest.go)
	intern     interner                // the shared parts of the certificates kept (compact.go)
	feeds      feedNames               // the names of the feeds of the records kept (feeds.go)
	recBlocks  blocks[rec]             // where records are allocated (blocks.go)
	slotBlocks blocks[slot]            // where slots are allocated
	gen        uint64                  // counts the commits that touched a subject (see Generation)

	// Scratch of one Add.
	epoch    uint64
	tSlots   []*slot
	dSlots   []*slot
	dGroups  []*uvGroup
	tSubj    map[subjectKey]struct{}
	tKeys    []subjectKey
	aggCache [2]struct { // the last cell of expAgg and impAgg: bulk imports hit it again and again
		key aggKey
		a   *agg
	}
	shareBuf  [2]share // old and new contribution of a slot
	partCache [8]participantInfo
	partNext  int
	lines     []lineRef // lines of the slot being evaluated
	changed   []Finding
	cleared   []string
}

// held is a current finding: what places it (its id, its partner and
// period, which the findings index groups it by, its rule and severity,
// which Counts counts) and the subject that owns it, which describes it
// again when it is read (State.finding); of the rest only a digest; and
// its places in the findings index. It takes 80 bytes, where it took 160
// with text, records and figures besides, for some 150,000 findings
// after a year's import.
type held struct {
	id       string
	slot     *slot       // the slot whose rules raised it, nil for a statistics subject's
	subj     *subjectKey // the subject of a finding of no slot, nil for a slot's
	sum      digest      // of the finding's content (digest.go)
	partner  uint32      // Partner, by its number in s.names
	period   uint32      // s.period of the finding, by its number in s.names
	rule     uint8       // index in ruleTable
	severity uint8       // index in severities
	at       [3]int32    // its place in the list of each of its groups in the findings index (index.go)
}

// placed is what places a held finding in the index.
type placed struct {
	partner, period uint32
	rule, severity  uint8
}

func (h *held) placed() placed { return placed{h.partner, h.period, h.rule, h.severity} }

// subject returns the subject of a finding of no slot, the zero key for a
// slot's.
func (h *held) subject() subjectKey {
	if h.subj == nil {
		return subjectKey{}
	}
	return *h.subj
}

// A held finding's period is computed once, when apply stores it: the
// date that places it (a certificate's issue, a confirmation's receipt, a
// pre-notification's shipment, a statistics subject's quarter, else its
// Since) belongs to one of its Records or to its subject, so the period
// cannot change while the finding stays equal. TestEachScopeEqualsFilter
// checks the kept period against one computed afresh.

// NewState returns an empty State for the node of participant self (such
// as "IN"), with cfg's thresholds and ref as the unit-value reference (see
// [DefaultUnitValues]). self decides the point of view: which certificates
// must be confirmed (those self issued or is the destination of, R2), which
// statistics are compared (those of pairs that include self, R9 and R10)
// and who the partner of a finding is. An empty self takes the view of an
// observer and checks everything. It returns an error wrapping
// [ErrBadConfig] when cfg is invalid.
func NewState(cfg Config, self string, ref UnitValues) (*State, error) {
	c, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if self != "" && !isCode(self) {
		return nil, fmt.Errorf("%w: self: %q is not a participant code", ErrBadConfig, truncate(self, 20))
	}
	s := &State{
		cfg: c, self: self, ref: ref,
		slots: map[uint64]*slot{}, seed: maphash.MakeSeed(), issuers: map[string]*issuerInfo{}, orphans: map[string]map[*slot]struct{}{},
		groups: map[groupKey]*uvGroup{},
		expAgg: map[aggKey]*agg{}, impAgg: map[aggKey]*agg{}, pending: map[aggKey]*pendingCell{}, aggIndex: map[pq]map[subjectKey]struct{}{},
		ownExp: map[phKey]*agg{},
		stats:  map[cellKey][]*rec{}, subs: map[string]map[protocol.Quarter]int{}, euSubs: map[protocol.Quarter]int{},
		combos: map[string]map[combo]struct{}{}, pairs: map[string]map[pairHS]struct{}{}, prod: map[phKey][]*rec{},
		subm: submissions{}, answers: map[string][]*rec{},
		vigilance: map[string][]*rec{}, foreign: map[recID]*foreignRec{},
		active: map[string]*held{}, index: newFindingIndex(), digests: newDigester(), owned: map[subjectKey][]string{}, tSubj: map[subjectKey]struct{}{},
	}
	s.chains = NewChains(s.setLive)
	return s, nil
}

// setLive puts a record that became current into the rules, or takes out
// one that stopped being current.
func (s *State) setLive(r *rec, live bool) {
	if reporter, p, ok := recPeriod(r); ok {
		s.putSubmission(r, reporter, p, live)
	}
	if live {
		s.insert(r)
	} else {
		s.remove(r)
	}
}

// Add adds one record and returns the findings it raised or changed and
// the ids of those it cleared, each sorted by id. Only current records
// count ([Chains]): a correction replaces the record it names, a
// withdrawal removes it, a record that names no valid earlier record
// counts nowhere; a record added again at the same position replaces the
// earlier one. The
// order in which records arrive does not change the findings. Time-based
// findings are evaluated against the clock of the latest [State.Findings]
// or [State.Advance]. The cost is proportional to the records the new one
// touches, not to the size of the State.
func (s *State) Add(r Record) (changed []Finding, cleared []string) {
	s.ingest(r)
	return s.commit()
}

// AddAll adds records as [State.Add] does, one after another, and reports
// the net change once; it is the cheaper way to load many records.
func (s *State) AddAll(rs []Record) (changed []Finding, cleared []string) {
	for _, r := range rs {
		s.ingest(r)
	}
	return s.commit()
}

// Findings returns every current finding at time now, sorted by id. now
// becomes the State's clock: the time-based rules (unconfirmed
// certificates, missing statistics) are evaluated against it. A zero now
// keeps the clock as it is.
func (s *State) Findings(now time.Time) []Finding {
	s.advance(now)
	s.commit()
	ids := make([]string, 0, len(s.active))
	for id := range s.active {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Finding, len(ids))
	for i, id := range ids {
		out[i] = s.finding(s.active[id])
	}
	return out
}

// Advance moves the clock to now (forwards or backwards) and returns the
// findings that raised, changed or cleared with it, as [State.Add] does.
func (s *State) Advance(now time.Time) (changed []Finding, cleared []string) {
	s.advance(now)
	return s.commit()
}

// Finding returns the current finding id, described afresh: it shares
// nothing with the State.
func (s *State) Finding(id string) (Finding, bool) {
	h, ok := s.active[id]
	if !ok {
		return Finding{}, false
	}
	return s.finding(h), true
}

// severities are the Severity values by their index in a held finding.
var severities = [...]Severity{Info, Warning, Critical}

// Rule returns the finding's rule, "R2".
func (h *held) Rule() string { return ruleTable[h.rule].ID }

// Severity returns the finding's severity.
func (h *held) Severity() Severity { return severities[h.severity] }

// head returns h as a Finding of its ID, Rule, RuleName, Severity and
// Partner, without describing it.
func (s *State) head(h *held) Finding {
	info := &ruleTable[h.rule]
	return Finding{ID: h.id, Rule: info.ID, RuleName: info.Name, Severity: h.Severity(), Partner: s.names.name(h.partner)}
}

// finding returns the held finding h, described again by the rule that
// raised it: the State is as it was when h was committed (every change
// of a record or of the clock commits before a read), so the rule gives
// the finding it gave then, whose digest h keeps.
func (s *State) finding(h *held) Finding {
	var fresh []Finding
	if h.slot != nil {
		fresh = s.describeSlot(h.slot, bit(int(h.rule)))
	} else {
		fresh = s.evalSubject(*h.subj)
	}
	for i := range fresh {
		if fresh[i].ID == h.id {
			return fresh[i]
		}
	}
	panic("reconcile: held finding " + h.id + " is not described again by its rule")
}

// Len returns the number of live records and of current findings.
func (s *State) Len() (records, findings int) { return s.chains.Len(), len(s.active) }

func (s *State) ingest(r Record) {
	if b, ok := r.Body.(*protocol.Batch); ok {
		if b == nil {
			return
		}
		for i, item := range b.Records {
			one := r
			one.Ref.Item, one.Ref.Batch, one.Body = i, true, item
			s.ingestOne(one)
		}
		return
	}
	s.ingestOne(r)
}

func (s *State) ingestOne(r Record) {
	if r.Ref.Feed == "" {
		return
	}
	feed := s.feeds.of(r.Ref.Feed, r.FeedKey)
	id := recID{feed.code, feed.key, r.Ref.Seq, r.Ref.Item}
	pos := Pos{feed.pos, id.seq, id.item} // id.pos(), its feed shared
	if w, ok := r.Body.(*protocol.Withdrawal); ok {
		if w != nil {
			s.chains.Put(pos, protocol.WithdrawalType, &w.Supersedes, nil)
		}
		return
	}
	rb, kind := classify(r.Body)
	if kind == kindNone || s.foreignAuthor(id, r, rb, kind) {
		return
	}
	var kept body = rb
	if kind == kindCert {
		c, ok := s.intern.compactCert(rb.(*protocol.Certificate))
		if !ok {
			return
		}
		kept = c
	}
	rc := s.recBlocks.next()
	*rc = rec{feed: feed, seq: id.seq, item: id.item, at: unixNano(r.Time), held: unixNano(r.Held), kind: kind, batch: r.Ref.Batch, body: kept}
	s.chains.Put(pos, rb.TypeName(), rb.Replaces(), rc)
}

func (s *State) insert(r *rec) {
	switch r.kind {
	case kindCert, kindConf, kindPre:
		s.insertDoc(r)
	case kindTrade:
		s.insertTrade(r)
	case kindProd:
		s.insertProd(r)
	case kindNotice:
		s.insertNotice(r)
	case kindReport:
		s.putAnswers(r, true)
	}
}

func (s *State) remove(r *rec) {
	switch r.kind {
	case kindCert, kindConf, kindPre:
		s.removeDoc(r)
	case kindTrade:
		s.removeTrade(r)
	case kindProd:
		s.removeProd(r)
	case kindNotice:
		s.removeNotice(r)
	case kindReport:
		s.putAnswers(r, false)
	}
}

// touchSlot schedules the rules m of sl for evaluation at the end of the
// Add.
func (s *State) touchSlot(sl *slot, m ruleMask) {
	if sl.mark != s.epoch+1 {
		sl.mark, sl.tmask = s.epoch+1, 0
		s.tSlots = append(s.tSlots, sl)
	}
	sl.tmask |= m
}

// touch schedules subject k for evaluation at the end of the Add.
func (s *State) touch(k subjectKey) { s.tSubj[k] = struct{}{} }

// commit recomputes what the records added since the last commit changed
// and returns the net change of findings.
func (s *State) commit() (changed []Finding, cleared []string) {
	if len(s.tSlots)+len(s.tSubj)+len(s.dSlots)+len(s.dGroups) > 0 {
		s.gen++
	}
	for _, sl := range s.dSlots {
		s.recontribute(sl)
	}
	for _, g := range s.dGroups {
		s.updateGroup(g)
	}
	for _, sl := range s.tSlots {
		m := sl.tmask
		if sl.empty() {
			m = allSlotRules
		}
		fresh, next := s.evalSlot(sl, m)
		s.applySlot(sl, m, fresh)
		if m&bit(ruleUnconfirmed) != 0 {
			s.schedule(sl, next)
		}
		if sl.empty() && len(sl.ids) == 0 {
			s.dropSlot(sl)
		}
	}
	keys := s.tKeys[:0]
	for k := range s.tSubj {
		keys = append(keys, k)
	}
	s.tKeys = keys
	for _, k := range keys {
		ids := s.apply(s.owned[k], s.evalSubject(k), nil, k)
		if len(ids) == 0 {
			delete(s.owned, k)
		} else {
			s.owned[k] = ids
		}
	}
	changed, cleared = s.changed, s.cleared
	slices.SortFunc(changed, func(a, b Finding) int { return strings.Compare(a.ID, b.ID) })
	slices.Sort(cleared)
	s.epoch++
	s.resetScratch()
	return changed, cleared
}

// resetScratch empties the scratch of one commit. After a large commit
// (loading the whole history) it lets the big buffers go: clearing a map
// costs as much as its capacity, and every later Add would pay for it.
func (s *State) resetScratch() {
	const keep = 1024
	if len(s.tSubj) > keep {
		s.tSubj = map[subjectKey]struct{}{}
	} else {
		clear(s.tSubj)
	}
	if cap(s.tSlots) > keep {
		s.tSlots, s.dSlots, s.tKeys = nil, nil, nil
	}
	clear(s.tSlots)
	s.tSlots, s.dSlots, s.dGroups, s.tKeys = s.tSlots[:0], s.dSlots[:0], s.dGroups[:0], s.tKeys[:0]
	s.changed, s.cleared = nil, nil
}

// apply replaces the findings old of one subject with fresh, records the
// difference and returns the ids of fresh.
func (s *State) apply(old []string, fresh []Finding, sl *slot, k subjectKey) []string {
	var ids []string
	var subj *subjectKey // shared by the findings of k that change; most are a slot's, without one
	if k != (subjectKey{}) {
		subj = &k
	}
	for i := range fresh {
		f := &fresh[i]
		ids = append(ids, f.ID)
		h := s.active[f.ID]
		sum := s.digests.of(f)
		if h != nil && h.sum == sum {
			continue
		}
		now := s.hold(f, sum, sl, subj)
		switch {
		case h == nil:
			h = &now
			s.active[f.ID] = h
			s.index.put(h)
			s.order = nil
		case h.placed() != now.placed():
			s.index.drop(h)
			*h = now
			s.index.put(h)
		default: // in the same groups, at the same places: the index holds h
			now.at = h.at
			*h = now
		}
		s.changed = append(s.changed, f.clone())
	}
	for _, id := range old {
		if !slices.Contains(ids, id) {
			s.index.drop(s.active[id])
			delete(s.active, id)
			s.order = nil
			s.cleared = append(s.cleared, id)
		}
	}
	return ids
}

// hold returns what the State keeps of f, whose digest is sum, raised by
// the rules of sl or about the subject subj. Every finding comes from
// newFinding, so its rule is in the rule table; its severity is one of
// severities.
func (s *State) hold(f *Finding, sum digest, sl *slot, subj *subjectKey) held {
	h := held{id: f.ID, partner: s.names.number(f.Partner), slot: sl, subj: subj, sum: sum,
		rule:     uint8(slices.IndexFunc(ruleTable[:], func(r RuleInfo) bool { return r.ID == f.Rule })),
		severity: uint8(slices.Index(severities[:], f.Severity))}
	h.period = s.names.number(s.period(&h, f.Since))
	return h
}

// other returns the participant of a and b that is not self: the partner
// of a finding about a and b. An observer (empty self) gets a.
func (s *State) other(a, b string) string {
	switch {
	case s.self == "":
		return a
	case sameAuthority(a, s.self):
		return b
	case sameAuthority(b, s.self):
		return a
	}
	return a
}

// involves reports whether self is a or b, or whether self is empty.
func (s *State) involves(a, b string) bool {
	return s.self == "" || sameAuthority(a, s.self) || sameAuthority(b, s.self)
}

// sameAuthority reports whether a and b name the same authority: equal
// codes, or the EU and one of its member-state authorities.
func sameAuthority(a, b string) bool {
	return a == b || a == "EU" && isEUMember(b) || b == "EU" && isEUMember(a)
}

func isEUMember(code string) bool {
	p, ok := protocol.LookupParticipant(code)
	return ok && p.Kind == protocol.KindEUMemberState
}
