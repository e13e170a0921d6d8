package node

import (
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// inboxLists are the inbox's lists kept current record by record: the
// held records of the types the inbox reads go into one reconcile.Chains
// per type (withdrawals into every one), as resolveLineages resolves
// them for the scan, and each record that becomes or stops being current
// updates the replies and the lists it counts in. A change costs the
// records of its chain and one list insert or delete, never the records
// held. The owner (inboxIndex) serialises calls.
type inboxLists struct {
	self    string // this node's participant code
	selfKey crypto.PublicKey
	chains  map[string]*reconcile.Chains[*inboxRec] // by record type
	keys    map[crypto.PublicKey]*string            // the feeds' keys as strings (keyOf)
	routes  map[docRoute]*docRoute                  // the issuer/destination pairs the records share (routeOf)

	notices, questions awaiting[protocol.EntryRef] // by the entry an acknowledgement or answer names
	certs              awaiting[confKey]           // by destination, issuer and number

	// The lists, newest first.
	noticeList, questionList, toConfirm, ours inboxOrder
}

// inboxRec is one held record in the inbox's chains, without its body (a
// page reads it from the store), and the list it would be on. It keeps
// what a HeldRecord says in 128 bytes instead of 240: the feed's key as
// a string its feed's records share (inboxLists.keyOf), which is also
// the record's position in the chains, its type by number; and of a
// certificate or an import confirmation only the fields the inbox reads
// (doc; value is nil), the issuer and destination codes shared with the
// records before it. After an import of 100,000 certificates the lists
// kept each parsed certificate whole, its traders and lines, some 60 MB;
// then 176 bytes and three strings of its own per certificate, 25 MB
// (docs/performance.md, "Memory after a large import").
type inboxRec struct {
	feed   string  // the author's participant code
	key    *string // the feed's key, its bytes, shared by the feed's records
	seq    uint64
	time   time.Time // the entry's time
	item   int32
	batch  bool
	listed bool
	typ    uint8 // index in inboxTypes
	// chained: r is in its awaiting's chain, next after it (awaiting).
	chained bool
	next    *inboxRec
	value   protocol.Record // nil for a certificate or an import confirmation, but see keepDoc
	doc     docFields
	list    *inboxOrder // nil: on none, whatever its replies
}

// newInboxRec returns the inbox's record of h, whose feed's key is key
// (h.key's bytes), to be on list; routeOf shares its codes.
func newInboxRec(h HeldRecord, key *string, list *inboxOrder, routeOf func(docRoute) *docRoute) *inboxRec {
	r := &inboxRec{feed: h.Feed, key: key, seq: h.Seq, time: h.Time, item: int32(h.Item), batch: h.batch,
		typ: uint8(slices.Index(inboxTypes, h.Type)), value: h.Value, list: list}
	r.keepDoc(routeOf)
	return r
}

// held returns r as a HeldRecord, without body (nor value, for a
// certificate or a confirmation).
func (r *inboxRec) held() HeldRecord {
	h := HeldRecord{Feed: r.feed, Seq: r.seq, Item: int(r.item), batch: r.batch, Time: r.time, Type: inboxTypes[r.typ], Value: r.value}
	copy(h.key[:], r.keyBytes())
	return h
}

// keyBytes returns the bytes of r's feed key ("" for none).
func (r *inboxRec) keyBytes() string {
	if r.key == nil {
		return ""
	}
	return *r.key
}

// pos returns r's position in the chains, as chainPos gives it.
func (r *inboxRec) pos() reconcile.Pos {
	return reconcile.Pos{Feed: r.keyBytes(), Seq: r.seq, Item: int(r.item)}
}

// docFields are what the inbox reads of a certificate (its number,
// issuer, destination and issue date) or of an import confirmation (the
// number and issuer of the certificate it confirms). The codes are a
// route shared by every record of the same two (inboxLists.routeOf).
type docFields struct {
	number string
	route  *docRoute
	issued protocol.PackedDate
}

// docRoute is an issuer and a destination ("" for a confirmation).
type docRoute struct{ issuer, destination string }

func (d docFields) issuer() string      { return d.route.issuer }
func (d docFields) destination() string { return d.route.destination }

// keepDoc moves what the inbox reads of a certificate or a confirmation
// from r.value into r.doc and lets the parsed value go. A certificate
// whose issue date does not pack (packDate; ParseCertificate never
// returns one) keeps its value, which issued then reads.
func (r *inboxRec) keepDoc(routeOf func(docRoute) *docRoute) {
	switch v := r.value.(type) {
	case *protocol.Certificate:
		issued, ok := protocol.PackDate(v.Issued)
		r.doc = docFields{number: v.Number, route: routeOf(docRoute{v.Issuer, v.Destination}), issued: issued}
		if !ok {
			return
		}
	case *protocol.ImportConfirmation:
		r.doc = docFields{number: v.CertificateNumber, route: routeOf(docRoute{v.Issuer, ""})}
	default:
		return
	}
	r.value = nil
}

// issued returns the issue date of r, a certificate.
func (r *inboxRec) issued() protocol.Date {
	if c, ok := r.value.(*protocol.Certificate); ok {
		return c.Issued
	}
	return r.doc.issued.Date()
}

// confKey matches a confirmation to certificates: the confirming
// participant (the certificate's destination), issuer and number.
type confKey struct{ by, issuer, number string }

// inboxTypes are the record types the inbox reads.
var inboxTypes = []string{protocol.NoticeType, protocol.AcknowledgementType, protocol.AnomalyQueryType,
	protocol.AnomalyAnswerType, protocol.CertificateType, protocol.ImportConfirmationType}

func newInboxLists(self string, selfKey crypto.PublicKey) *inboxLists {
	l := &inboxLists{self: self, selfKey: selfKey, chains: map[string]*reconcile.Chains[*inboxRec]{}, keys: map[crypto.PublicKey]*string{},
		routes:  map[docRoute]*docRoute{},
		notices: newAwaiting(entryOf), questions: newAwaiting(entryOf), certs: newAwaiting(certKeyOf)}
	l.chains[protocol.NoticeType] = reconcile.NewChains(l.notices.record)
	l.chains[protocol.AnomalyQueryType] = reconcile.NewChains(l.questions.record)
	l.chains[protocol.AcknowledgementType] = reconcile.NewChains(func(r *inboxRec, cur bool) {
		l.notices.reply(r.value.(*protocol.Acknowledgement).Of, cur)
	})
	l.chains[protocol.AnomalyAnswerType] = reconcile.NewChains(func(r *inboxRec, cur bool) {
		l.questions.reply(r.value.(*protocol.AnomalyAnswer).Query, cur)
	})
	l.chains[protocol.CertificateType] = reconcile.NewChains(l.certs.record)
	l.chains[protocol.ImportConfirmationType] = reconcile.NewChains(func(r *inboxRec, cur bool) {
		l.certs.reply(confKey{r.feed, r.doc.issuer(), r.doc.number}, cur)
	})
	return l
}

// add holds h, a record read from the store or just committed; records
// of other types, and replies of other feeds than this node's current
// one, change nothing.
func (l *inboxLists) add(h HeldRecord) {
	key := l.keyOf(h.key)
	if h.Type == protocol.WithdrawalType {
		p := reconcile.Pos{Feed: *key, Seq: h.Seq, Item: h.Item}
		for _, c := range l.chains {
			c.Put(p, protocol.WithdrawalType, h.Value.Replaces(), nil)
		}
		return
	}
	c := l.chains[h.Type]
	if c == nil || (h.Type == protocol.AcknowledgementType || h.Type == protocol.AnomalyAnswerType) && h.key != l.selfKey {
		return
	}
	replaces := h.Value.Replaces()
	r := newInboxRec(h, key, l.listOf(h), l.routeOf)
	c.Put(r.pos(), h.Type, replaces, r)
}

// keyOf returns the bytes of feed key k as a string that every record of
// the feed shares.
func (l *inboxLists) keyOf(k crypto.PublicKey) *string {
	s, ok := l.keys[k]
	if !ok {
		s = new(string(k[:]))
		l.keys[k] = s
	}
	return s
}

// routeOf returns the route the records share that equals d, its
// strings copied when it is new, so that they pin no parser's buffer.
func (l *inboxLists) routeOf(d docRoute) *docRoute {
	r, ok := l.routes[d]
	if !ok {
		r = &docRoute{strings.Clone(d.issuer), strings.Clone(d.destination)}
		l.routes[*r] = r
	}
	return r
}

// listOf returns the list h would be on while no reply names it: a
// partner's notice or question; this node's certificate, or one a
// partner destined to it.
func (l *inboxLists) listOf(h HeldRecord) *inboxOrder {
	own := h.Feed == l.self
	switch h.Type {
	case protocol.NoticeType:
		return ifNot(own, &l.noticeList)
	case protocol.AnomalyQueryType:
		return ifNot(own, &l.questionList)
	case protocol.CertificateType:
		if own {
			return &l.ours
		}
		return ifNot(h.Value.(*protocol.Certificate).Destination != l.self, &l.toConfirm)
	}
	return nil
}

func ifNot(cond bool, o *inboxOrder) *inboxOrder {
	if cond {
		return nil
	}
	return o
}

// awaiting keeps the current records that wait for a reply, by the key a
// reply names (keyOf), and how many current replies name each key: a
// record is listed while it is current and no current reply names its
// key. The records are kept by a 64-bit hash of their key, those of one
// hash chained through inboxRec.next, so that each costs the map a
// pointer instead of its key (48 bytes for a certificate's) and a slice.
type awaiting[K comparable] struct {
	hash    func(K) uint64 // maphash of the key; the tests make every key collide
	keyOf   func(*inboxRec) K
	replies map[K]int
	waiting map[uint64]*inboxRec
}

func newAwaiting[K comparable](keyOf func(*inboxRec) K) awaiting[K] {
	seed := maphash.MakeSeed()
	return awaiting[K]{hash: func(k K) uint64 { return maphash.Comparable(seed, k) }, keyOf: keyOf,
		replies: map[K]int{}, waiting: map[uint64]*inboxRec{}}
}

// entryOf is the key a reply to a notice or a question names: its entry.
func entryOf(r *inboxRec) protocol.EntryRef { return protocol.EntryRef{Feed: r.feed, Seq: r.seq} }

// certKeyOf is the key a confirmation of a certificate names.
func certKeyOf(r *inboxRec) confKey {
	return confKey{r.doc.destination(), r.doc.issuer(), r.doc.number}
}

// record notes that r became current or stopped being current.
func (a *awaiting[K]) record(r *inboxRec, current bool) {
	if r.list == nil {
		return
	}
	k := a.keyOf(r)
	h := a.hash(k)
	if !current {
		a.unchain(h, r)
		unlist(r)
		return
	}
	if !r.chained {
		r.next, r.chained = a.waiting[h], true
		a.waiting[h] = r
	}
	if a.replies[k] == 0 {
		enlist(r)
	}
}

// unchain takes r out of the chain of hash h, if it is there.
func (a *awaiting[K]) unchain(h uint64, r *inboxRec) {
	if !r.chained {
		return
	}
	if a.waiting[h] == r {
		if r.next == nil {
			delete(a.waiting, h)
		} else {
			a.waiting[h] = r.next
		}
	} else {
		for x := a.waiting[h]; x != nil; x = x.next {
			if x.next == r {
				x.next = r.next
				break
			}
		}
	}
	r.next, r.chained = nil, false
}

// each calls fn with every waiting record of key k.
func (a *awaiting[K]) each(k K, fn func(r *inboxRec)) {
	for x := a.waiting[a.hash(k)]; x != nil; x = x.next {
		if a.keyOf(x) == k {
			fn(x)
		}
	}
}

// reply notes that a reply naming k became current or stopped being
// current.
func (a *awaiting[K]) reply(k K, current bool) {
	if current {
		if a.replies[k]++; a.replies[k] == 1 {
			a.each(k, unlist)
		}
		return
	}
	if a.replies[k]--; a.replies[k] > 0 {
		return
	}
	delete(a.replies, k)
	a.each(k, enlist)
}

func enlist(r *inboxRec) {
	if !r.listed {
		r.list.insert(r)
		r.listed = true
	}
}

func unlist(r *inboxRec) {
	if r.listed {
		r.list.delete(r)
		r.listed = false
	}
}

// heldOf returns the held records of a record just committed at seq of
// the feed of key, whose participant is code: value as parsed (a batch
// gives its items), less those written in another authority's name, as
// heldRecordsOf reads them back.
func heldOf(code string, key crypto.PublicKey, seq uint64, t time.Time, value any) []HeldRecord {
	if b, ok := value.(*protocol.Batch); ok {
		out := make([]HeldRecord, 0, len(b.Records))
		for i, v := range b.Records {
			if protocol.CheckAuthor(code, v) == nil {
				out = append(out, HeldRecord{Feed: code, key: key, Seq: seq, Item: i, batch: true, Time: t.UTC(), Type: b.Type, Value: v})
			}
		}
		return out
	}
	v, ok := value.(protocol.Record)
	if !ok || protocol.CheckAuthor(code, v) != nil {
		return nil
	}
	return []HeldRecord{{Feed: code, key: key, Seq: seq, Time: t.UTC(), Type: v.TypeName(), Value: v}}
}
