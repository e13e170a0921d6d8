package trade

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Publication steps: an item may be published only after every item of a
// lower step.
const (
	stepCertificates     = 0 // certificates
	stepPreNotifications = 1 // pre-notifications, after their certificates
	stepConfirmations    = 2 // import confirmations, after their certificates
	stepDuplicates       = 3 // confirmations recorded a second time (R4)
	stepReports          = 4 // statistics, production, notices and anomaly queries
	stepAnswers          = 5 // answers to anomaly queries, after their queries
)

// Item is one record to publish.
type Item struct {
	// Author is the node that publishes it.
	Author string `json:"author"`
	// To is its audience: partners of the author, never the author itself.
	To []string `json:"to"`
	// Type is the protocol record type, such as "certificate".
	Type string `json:"type"`
	// Record is the body, valid for protocol.ParseRecord(Type, Record).
	Record json.RawMessage `json:"record"`
	// Step orders publication: items with a lower Step must be published
	// before those with a higher one (a certificate before its
	// confirmation); items of the same Step may go in any order.
	Step int `json:"step"`
	// Answers, on an anomaly answer, is the Reference of the query it
	// answers, an anomaly query item of the plan authored by the answer's
	// audience. The record names that query by its entry, which only
	// publishing tells: the publisher sets the record's query.seq to the
	// query's sequence number in its author's feed (see [AnswerTo]).
	Answers string `json:"answers,omitempty"`

	body any // the record before encoding
}

// HeldBy reports whether node code holds the item: it wrote it or is in
// its audience.
func (it Item) HeldBy(code string) bool { return it.Author == code || slices.Contains(it.To, code) }

// Expected is one finding that reconciliation must raise.
type Expected struct {
	// ID is the reconcile.Finding ID, such as "R1/IN/IN0001234".
	ID string `json:"id"`
	// Rule is "R1".."R12".
	Rule string `json:"rule"`
	// Severity is the finding's severity from Now to two weeks later.
	Severity reconcile.Severity `json:"severity"`
	// Observers are the nodes that must raise it, sorted: those that hold
	// the records involved.
	Observers []string `json:"observers"`
	// Explains, when set, is a phrase the finding's explanation must
	// contain, such as the lag annotation of a mirror gap (R9).
	Explains string `json:"explains,omitempty"`
	// Note says what was injected, for people.
	Note string `json:"note"`
}

// Plan is generated trade: the records to publish and the findings they
// must produce.
type Plan struct {
	// Options are the options used, with defaults filled in, participants
	// sorted and links ordered.
	Options Options `json:"options"`
	// From and To are the first and last day of trade (To is Now's date).
	From protocol.Date `json:"from"`
	To   protocol.Date `json:"to"`
	// Items are the records, in an order that respects Step and, within a
	// step, in runs of one author, type and audience.
	Items []Item `json:"items"`
	// Expected are the findings, sorted by ID. With Anomalies = 0 it holds
	// only the mirror gaps (R9) of goods in transit at the statistics
	// quarter's end: clean trade raises nothing else at any node.
	Expected []Expected `json:"expected"`
	// Questions are the unanswered questionnaires each asker must show
	// (questionnaires.go), by asker; empty without anomalies.
	Questions []ExpectedQuestions `json:"questions"`
	// Calendar is what each node's submission calendar must show late
	// and missing (truth_calendar.go), by node, party and obligation.
	Calendar []ExpectedCalendar `json:"calendar"`
}

// generator holds the state of one Generate call.
type generator struct {
	opt    Options
	rng    *rand.Rand
	cal    calendar
	nodes  map[string]*node // looked up only; iterate over opt.Participants
	routes [][2]string      // exporter, importer: both directions of every trading link
	ships  []*shipment
	extra  []Item // records of anomalies that belong to no shipment, and notices
	inj    injections
	// noticeSeq numbers the notices' references.
	noticeSeq int
	// own sums the own-origin exports of ships[:ownN] (ownExports).
	own  map[ownKey]protocol.Carats
	ownN int
}

// Generate draws the trade that o describes, injects the anomalies and
// returns the plan with its ground truth. It returns an error wrapping
// [ErrBadOptions] when o is invalid, or when anomalies are asked for and
// no link carries trade.
func Generate(o Options) (*Plan, error) {
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	g := &generator{opt: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x6b70_6e6f_6465)), cal: newCalendar(o.Now, o.Days)}
	g.setupNodes()
	if o.Anomalies > 0 && len(g.routes) == 0 {
		return nil, badOption("anomalies", "%d asked for, but no link joins two participants that trade with each other", o.Anomalies)
	}
	g.tradeClean()
	if err := g.inject(); err != nil {
		return nil, err
	}
	g.numberShipments()
	items := g.shipmentItems()
	reports, stats := g.reports()
	items = append(items, reports...)
	items = append(items, g.notices()...)
	items = append(items, g.annualReports()...)
	items = append(items, g.extra...)
	queries, questions := g.questionnaires()
	items = append(items, queries...)
	cal := calendarTruth(items, g.cal.now)
	if err := encodeItems(items); err != nil {
		return nil, err
	}
	slices.SortStableFunc(items, compareItems)
	return &Plan{Options: o, From: g.cal.from, To: g.cal.today, Items: items, Expected: g.expected(stats), Questions: questions,
		Calendar: cal}, nil
}

// compareItems orders items by step, then in runs of one author, type and
// audience (which a loader can send as one import), keeping the order of
// issue within a run.
func compareItems(a, b Item) int {
	return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.Author, b.Author), cmp.Compare(a.Type, b.Type),
		slices.Compare(a.To, b.To))
}

// shipmentItems returns the certificates, pre-notifications and
// confirmations of every shipment, by issue date.
func (g *generator) shipmentItems() []Item {
	ships := slices.Clone(g.ships)
	slices.SortStableFunc(ships, func(a, b *shipment) int {
		return cmp.Or(a.issued.Compare(b.issued), cmp.Compare(a.number, b.number))
	})
	var out []Item
	for _, s := range ships {
		out = append(out, Item{Author: s.issuer, To: []string{s.dest}, Type: protocol.CertificateType, Step: stepCertificates, body: s.certificate()})
		if s.preNotified {
			out = append(out, Item{Author: s.issuer, To: []string{s.dest}, Type: protocol.PreNotificationType, Step: stepPreNotifications, body: s.preNotification()})
		}
		if s.confirmed {
			out = append(out, Item{Author: s.dest, To: []string{s.issuer}, Type: protocol.ImportConfirmationType, Step: stepConfirmations, body: s.confirmation()})
		}
		if s.dupConf {
			second := s.confirmation()
			second.Remarks = "Recorded again from the paper register"
			out = append(out, Item{Author: s.dest, To: []string{s.issuer}, Type: protocol.ImportConfirmationType, Step: stepDuplicates, body: second})
		}
	}
	return out
}

// reports returns the statistics and production records, with the
// statistics anomalies applied, and the statistics they carry.
func (g *generator) reports() ([]Item, book) {
	b := g.statistics()
	prod := g.production()
	g.inj.applyReports(b, prod)
	var out []Item
	for _, k := range b.keys() {
		out = append(out, rowItem(k, b[k]))
	}
	for _, k := range productionKeys(prod) {
		out = append(out, g.productionItem(k, prod[k]))
	}
	return out, b
}

// encodeItems marshals every body and checks it with protocol.ParseRecord.
func encodeItems(items []Item) error {
	for i := range items {
		it := &items[i]
		raw, err := json.Marshal(it.body)
		if err != nil {
			return fmt.Errorf("encode %s of %s: %w", it.Type, it.Author, err)
		}
		if _, err := protocol.ParseRecord(it.Type, raw); err != nil {
			return fmt.Errorf("generated %s of %s is invalid: %w", it.Type, it.Author, err)
		}
		it.Record, it.body = raw, nil
	}
	return nil
}
