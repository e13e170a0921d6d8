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

	// Notices.
	status    map[string][]*rec // participant → status changes, by effective date
	vigilance map[string][]*rec // origin → enhanced-vigilance notices

	// Records written in another authority's name (R13): kept out of
	// every other rule.
	foreign map[recID]*foreignRec

	// Findings.
	active     map[string]*held
	owned      map[subjectKey][]string // finding ids of subjects other than slots
	order      []string                // the ids of active, sorted; nil when a finding came or went since
	index      findingIndex            // the ids of active by partner and period, counts by rule
	keys       numberKeys              // the keys of the held findings' packed Numbers
	intern     interner                // the shared strings of the certificates kept (compact.go)
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

// held is a current finding and the subject that owns it.
type held struct {
	f      heldFinding
	nums   string // f's Numbers, packed (numbers.go)
	slot   *slot
	subj   *subjectKey // the subject of a finding of no slot, nil for a slot's
	period string      // s.period(h), set by apply
}

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
		status: map[string][]*rec{}, vigilance: map[string][]*rec{}, foreign: map[recID]*foreignRec{},
		active: map[string]*held{}, index: newFindingIndex(), owned: map[subjectKey][]string{}, tSubj: map[subjectKey]struct{}{},
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

// Finding returns the current finding id.
func (s *State) Finding(id string) (Finding, bool) {
	h, ok := s.active[id]
	if !ok {
		return Finding{}, false
	}
	return s.finding(h), true
}

// heldFinding is what a held finding keeps of a Finding: its rule (whose
// ID and RuleName the rule table gives) and severity as small numbers,
// its Numbers packed apart (held.nums). A held finding costs 160 bytes
// instead of 208, for some 150,000 findings after a year's import.
type heldFinding struct {
	ID, Partner, Explanation string
	Records                  []RecordRef
	Since                    time.Time
	rule                     uint8 // index in ruleTable
	severity                 uint8 // index in severities
}

// severities are the Severity values by their index in heldFinding.
var severities = [...]Severity{Info, Warning, Critical}

// holdFinding returns what a held finding keeps of f, without Numbers.
// Every finding comes from newFinding, so its rule is in the rule table;
// its severity is one of severities.
func holdFinding(f *Finding) heldFinding {
	return heldFinding{ID: f.ID, Partner: f.Partner, Explanation: f.Explanation, Records: f.Records, Since: f.Since,
		rule:     uint8(slices.IndexFunc(ruleTable[:], func(r RuleInfo) bool { return r.ID == f.Rule })),
		severity: uint8(slices.Index(severities[:], f.Severity))}
}

// Rule returns the finding's rule, "R2".
func (f *heldFinding) Rule() string { return ruleTable[f.rule].ID }

// Severity returns the finding's severity.
func (f *heldFinding) Severity() Severity { return severities[f.severity] }

// finding returns a copy of the held finding h, with its Numbers.
func (s *State) finding(h *held) Finding {
	info := &ruleTable[h.f.rule]
	return Finding{ID: h.f.ID, Rule: info.ID, RuleName: info.Name, Severity: h.f.Severity(), Partner: h.f.Partner,
		Records: slices.Clone(h.f.Records), Numbers: s.keys.unpack(h.nums), Explanation: h.f.Explanation, Since: h.f.Since}
}

// same reports whether f is the held finding h with the same content.
func (s *State) same(h *held, f *Finding) bool {
	return h.f.ID == f.ID && h.f.Rule() == f.Rule && h.f.Severity() == f.Severity && h.f.Partner == f.Partner &&
		h.f.Explanation == f.Explanation && h.f.Since.Equal(f.Since) && slices.Equal(h.f.Records, f.Records) &&
		h.nums == s.keys.pack(f.Numbers)
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
	id := recID{r.Ref.Feed, r.FeedKey, r.Ref.Seq, r.Ref.Item}
	if id.feed == "" {
		return
	}
	if w, ok := r.Body.(*protocol.Withdrawal); ok {
		if w != nil {
			s.chains.Put(id.pos(), protocol.WithdrawalType, &w.Supersedes, nil)
		}
		return
	}
	body, kind := classify(r.Body)
	if kind == kindNone || s.foreignAuthor(id, r, body, kind) {
		return
	}
	if kind == kindCert {
		body = s.intern.compactCert(body.(*protocol.Certificate))
	}
	rc := s.recBlocks.next()
	*rc = rec{id: id, at: unixNano(r.Time), held: unixNano(r.Held), kind: kind, batch: r.Ref.Batch, body: body}
	s.chains.Put(id.pos(), body.TypeName(), body.Replaces(), rc)
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
	var prev []RecordRef // the records of the finding stored before
	for i := range fresh {
		f := &fresh[i]
		ids = append(ids, f.ID)
		h := s.active[f.ID]
		if h != nil && s.same(h, f) {
			continue
		}
		if h == nil {
			s.order = nil
		}
		now := &held{f: holdFinding(f), nums: s.keys.pack(f.Numbers), slot: sl, subj: subj}
		now.f.Records = s.shareRecords(f.Records, sl, prev)
		prev = now.f.Records
		now.period = s.period(now)
		s.index.put(h, now)
		s.active[f.ID] = now
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

// shareRecords returns recs, or an equal slice that the finding stored
// before (prev) or another finding of sl holds: a certificate's findings
// (R2, R5, R7, R8 of each line) usually name the same records, and a held
// finding's records are never modified (they are copied when read). An
// empty recs is returned as it is, so that nil and empty stay apart.
func (s *State) shareRecords(recs []RecordRef, sl *slot, prev []RecordRef) []RecordRef {
	if len(recs) == 0 {
		return recs
	}
	if slices.Equal(recs, prev) {
		return prev
	}
	if sl != nil {
		for _, id := range sl.ids {
			if h := s.active[id]; h != nil && slices.Equal(h.f.Records, recs) {
				return h.f.Records
			}
		}
	}
	return recs
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
