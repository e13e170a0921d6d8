package reconcile

import (
	"cmp"
	"reflect"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Record is one decrypted record given to [State.Add].
type Record struct {
	// Ref names the entry that carries the record: Feed is the author's
	// participant code, Seq the entry's sequence number and Item the
	// index within a batch entry (0 otherwise), Batch whether it is an item of
	// a batch entry (Add sets Item and Batch for the records of a
	// *protocol.Batch body). Type and Key are ignored:
	// the State derives them from Body. A record without Feed is ignored.
	Ref RecordRef
	// Time is the entry's time; optional. It dates findings (Since) and
	// tells when a confirmation came in (R2, confirmed after expiry).
	Time time.Time
	// Held is when this node first held the entry; optional (zero when
	// unknown). The calendar judges lateness on the later of Time and
	// Held less [CalendarConfig.ReceivedToleranceDays]: the author signs
	// Time and could set it early.
	Held time.Time
	// FeedKey tells apart the feeds of one participant: after a key
	// rotation Ref.Feed has two, each numbered from 1, and a correction
	// names an entry of its own feed. Any string that names the feed, such
	// as the author's key; "" when Ref.Feed has one feed. The rules
	// compare records by participant (Ref.Feed); which records are current
	// is decided per feed.
	FeedKey string
	// Body is the parsed record: *protocol.Certificate,
	// *protocol.PreNotification, *protocol.ImportConfirmation,
	// *protocol.TradeStatistics, *protocol.ProductionStatistics,
	// *protocol.Notice, *protocol.Withdrawal or *protocol.Batch (whose
	// items are added as items 0, 1, … of the entry). Other types, such as
	// acknowledgements and anomaly queries, are ignored. The State keeps
	// Body, except a certificate's, of which it keeps a compact copy
	// (certificate.go): the caller must not modify it afterwards. A
	// certificate whose dates have a month above 12, a day above 31 or a
	// year beyond ±4,000,000, or with over 2³¹ parcels, is ignored: the copy
	// could not hold it, and ParseCertificate returns none.
	Body any
}

// recID is a record's position: author participant and feed, entry seq,
// batch item.
type recID struct {
	feed string // the author's participant code
	key  string // the feed of that participant (Record.FeedKey)
	seq  uint64
	item int
}

// pos returns the position of a in [Chains], which tells feeds apart.
func (a recID) pos() Pos {
	if a.key == "" {
		return Pos{a.feed, a.seq, a.item}
	}
	return Pos{a.feed + "\x00" + a.key, a.seq, a.item}
}

func (a recID) compare(b recID) int {
	if c := cmp.Compare(a.feed, b.feed); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.item, b.item)
}

// Kinds of records the rules read.
const (
	kindNone uint8 = iota
	kindCert
	kindConf
	kindPre
	kindTrade
	kindProd
	kindNotice
	kindReport
)

// rec is a live record.
type rec struct {
	feed *feedName // its feed's names, shared by the feed's records (feeds.go)
	seq  uint64
	item int
	at   int64 // entry time in Unix nanoseconds, 0 when unknown
	held int64 // when this node first held the entry, Unix nanoseconds, 0 when unknown
	kind uint8
	// batch reports that the record is an item of a batch entry (item
	// is then its 0-based index; a lone record has item 0 too).
	batch bool
	body  body
	slot  *slot // certificates, confirmations and pre-notifications
}

// id returns the record's position.
func (r *rec) id() recID { return recID{r.feed.code, r.feed.key, r.seq, r.item} }

// pos returns the record's position in [Chains], r.id().pos() with its
// feed shared.
func (r *rec) pos() Pos { return Pos{r.feed.pos, r.seq, r.item} }

// body is what a record holds: its protocol.Record, or for a certificate
// the State's compact copy (*certificate, compact.go).
type body interface{ TypeName() string }

func (r *rec) cert() *certificate                   { return r.body.(*certificate) }
func (r *rec) conf() *protocol.ImportConfirmation   { return r.body.(*protocol.ImportConfirmation) }
func (r *rec) pre() *protocol.PreNotification       { return r.body.(*protocol.PreNotification) }
func (r *rec) trade() *protocol.TradeStatistics     { return r.body.(*protocol.TradeStatistics) }
func (r *rec) prod() *protocol.ProductionStatistics { return r.body.(*protocol.ProductionStatistics) }
func (r *rec) notice() *protocol.Notice             { return r.body.(*protocol.Notice) }
func (r *rec) report() *protocol.AnnualReport       { return r.body.(*protocol.AnnualReport) }

// when returns the entry time, or the zero Time.
func (r *rec) when() time.Time {
	if r.at == 0 {
		return time.Time{}
	}
	return time.Unix(0, r.at).UTC()
}

// heldAt returns when this node first held the entry, or the zero Time.
func (r *rec) heldAt() time.Time {
	if r.held == 0 {
		return time.Time{}
	}
	return time.Unix(0, r.held).UTC()
}

// effective returns when the record counts as received: the later of
// its signed time and when this node first held it less toleranceDays
// (the signed time alone when either is unknown).
func (r *rec) effective(toleranceDays int) time.Time {
	t := r.when()
	if r.held == 0 || t.IsZero() {
		return t
	}
	return latest(t, r.heldAt().AddDate(0, 0, -toleranceDays))
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func (r *rec) author() string { return r.feed.code }

func compareRecs(a, b *rec) int {
	if a.feed == b.feed { // most comparisons are within a feed
		return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.item, b.item))
	}
	return a.id().compare(b.id())
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// kinds gives the kind of each record type the rules read.
var kinds = map[string]uint8{
	protocol.CertificateType:          kindCert,
	protocol.ImportConfirmationType:   kindConf,
	protocol.PreNotificationType:      kindPre,
	protocol.TradeStatisticsType:      kindTrade,
	protocol.ProductionStatisticsType: kindProd,
	protocol.NoticeType:               kindNotice,
	protocol.AnnualReportType:         kindReport,
}

// classify returns body as a record and its kind; kindNone for a type the
// rules do not read, a value that is no record and a nil one.
func classify(body any) (protocol.Record, uint8) {
	r, ok := body.(protocol.Record)
	if !ok || reflect.ValueOf(r).IsNil() {
		return nil, kindNone
	}
	return r, kinds[r.TypeName()]
}

// refOf returns the RecordRef of r, with its natural key.
func refOf(r *rec) RecordRef {
	ref := RecordRef{Feed: r.feed.code, Seq: r.seq, Item: r.item, Batch: r.batch, Type: r.body.TypeName()}
	if k, ok := r.body.(interface{ NaturalKey() string }); ok {
		ref.Key = k.NaturalKey()
	}
	return ref
}

func sortRecs(rs []*rec) { slices.SortFunc(rs, compareRecs) }

// dateCmp compares two dates field by field, without building a time.Time
// as protocol.Date.Compare does (the rules compare dates a lot).
func dateCmp(a, b protocol.Date) int {
	if c := cmp.Compare(a.Year, b.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Month, b.Month); c != 0 {
		return c
	}
	return cmp.Compare(a.Day, b.Day)
}

func dateBefore(a, b protocol.Date) bool { return dateCmp(a, b) < 0 }
