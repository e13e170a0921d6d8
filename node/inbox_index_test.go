package node

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// inboxFeed is one feed of a generated history: IN is the node's own,
// BE has two (a rotation).
type inboxFeed struct {
	code string
	key  crypto.PublicKey
	next uint64
	recs []HeldRecord // its records so far
}

// inboxHistory generates random histories of the records the inbox
// reads: notices, questions, certificates (lone and in batches) and
// their replies, corrections (some naming nothing valid) and
// withdrawals, at few distinct times so that the order's ties count.
type inboxHistory struct {
	rng   *rand.Rand
	feeds []*inboxFeed
	t0    time.Time
}

func newInboxHistory(seed uint64) *inboxHistory {
	key := func(b byte) (k crypto.PublicKey) { k[0] = b; return k }
	return &inboxHistory{rng: rand.New(rand.NewPCG(seed, 7)), t0: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		feeds: []*inboxFeed{{code: "IN", key: key(1)}, {code: "BE", key: key(2)}, {code: "BE", key: key(3)}, {code: "AE", key: key(4)}}}
}

func (g *inboxHistory) pick(s ...string) string { return s[g.rng.IntN(len(s))] }

// sup names an earlier record of f now and then (of any type: some name
// nothing valid), rarely a later entry.
func (g *inboxHistory) sup(f *inboxFeed) *protocol.Supersedes {
	if len(f.recs) == 0 || g.rng.IntN(3) > 0 {
		return nil
	}
	r := f.recs[g.rng.IntN(len(f.recs))]
	s := &protocol.Supersedes{Seq: r.Seq, Item: r.Item}
	if g.rng.IntN(10) == 0 {
		s.Seq = f.next + 1
	}
	return s
}

// ref names an entry of some feed, held or not.
func (g *inboxHistory) ref() protocol.EntryRef {
	return protocol.EntryRef{Feed: g.pick("IN", "BE", "AE"), Seq: uint64(1 + g.rng.IntN(12))}
}

// entry returns the records of one new entry of a random feed.
func (g *inboxHistory) entry() []HeldRecord {
	f := g.feeds[g.rng.IntN(len(g.feeds))]
	f.next++
	at := g.t0.Add(time.Duration(g.rng.IntN(3)) * time.Hour)
	one := func(typ string, v protocol.Record) []HeldRecord {
		return []HeldRecord{{Feed: f.code, key: f.key, Seq: f.next, Time: at, Type: typ, Value: v}}
	}
	var out []HeldRecord
	switch g.rng.IntN(8) {
	case 0:
		out = one(protocol.NoticeType, &protocol.Notice{Supersedes: g.sup(f)})
	case 1:
		out = one(protocol.AcknowledgementType, &protocol.Acknowledgement{Of: g.ref(), Supersedes: g.sup(f)})
	case 2:
		out = one(protocol.AnomalyQueryType, &protocol.AnomalyQuery{Supersedes: g.sup(f)})
	case 3:
		out = one(protocol.AnomalyAnswerType, &protocol.AnomalyAnswer{Query: g.ref(), Supersedes: g.sup(f)})
	case 4, 5:
		out = g.batch(f, at, protocol.CertificateType, func() protocol.Record {
			return &protocol.Certificate{Issuer: f.code, Number: g.pick("N1", "N2", "N3"), Destination: g.pick("IN", "BE", "AE"),
				Issued: protocol.DateOf(at), Supersedes: g.sup(f)}
		})
	case 6:
		out = g.batch(f, at, protocol.ImportConfirmationType, func() protocol.Record {
			return &protocol.ImportConfirmation{Issuer: g.pick("IN", "BE", "AE"), CertificateNumber: g.pick("N1", "N2", "N3"), Supersedes: g.sup(f)}
		})
	default:
		s := g.sup(f)
		if s == nil {
			s = &protocol.Supersedes{Seq: uint64(g.rng.IntN(int(f.next)))}
		}
		out = one(protocol.WithdrawalType, &protocol.Withdrawal{Supersedes: *s})
	}
	f.recs = append(f.recs, out...)
	return out
}

// batch returns a lone record or a batch entry of one to three.
func (g *inboxHistory) batch(f *inboxFeed, at time.Time, typ string, item func() protocol.Record) []HeldRecord {
	if g.rng.IntN(2) == 0 {
		return []HeldRecord{{Feed: f.code, key: f.key, Seq: f.next, Time: at, Type: typ, Value: item()}}
	}
	var out []HeldRecord
	for i := range 1 + g.rng.IntN(3) {
		out = append(out, HeldRecord{Feed: f.code, key: f.key, Seq: f.next, Item: i, batch: true, Time: at, Type: typ, Value: item()})
	}
	return out
}

// heldSource answers heldRecordsOf's question over recs (a record added
// again at its position replaces the earlier one), in its order.
func heldSource(recs []HeldRecord) func(string, *crypto.PublicKey) ([]HeldRecord, error) {
	return func(typ string, author *crypto.PublicKey) ([]HeldRecord, error) {
		at := map[recPos]HeldRecord{}
		for _, h := range recs {
			if h.Type == typ && (author == nil || h.key == *author) {
				at[posOf(h)] = h
			}
		}
		out := make([]HeldRecord, 0, len(at))
		for _, h := range at {
			out = append(out, h)
		}
		slices.SortFunc(out, func(a, b HeldRecord) int {
			return cmp.Or(cmp.Compare(a.Feed, b.Feed), bytes.Compare(a.key[:], b.key[:]), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Item, b.Item))
		})
		return out, nil
	}
}

// keptAnswer is the kept lists' answer to q, notices and questions
// without their bodies.
func keptAnswer(l *inboxLists, q InboxQuery) Inbox {
	ib, notices, questions := l.answer(q)
	view := func(hs []HeldRecord) []RecordView {
		out := []RecordView{}
		for _, h := range hs {
			out = append(out, RecordView{Feed: h.Feed, Seq: h.Seq, Time: h.Time, Type: h.Type})
		}
		return out
	}
	ib.Notices, ib.Questions = view(notices), view(questions)
	return ib
}

// withoutBodies drops the record bodies of the scan's answer.
func withoutBodies(ib Inbox) Inbox {
	for _, vs := range [][]RecordView{ib.Notices, ib.Questions} {
		for i := range vs {
			vs[i].Record = nil
		}
	}
	return ib
}

// TestInboxKeptEqualsScan: over random histories of notices, questions,
// certificates, their replies, corrections and withdrawals, added in
// any order and some twice, the kept lists answer every page exactly as
// the scan of the records held so far does.
func TestInboxKeptEqualsScan(t *testing.T) {
	for _, collide := range []bool{false, true} {
		checkKeptEqualsScan(t, collide)
	}
}

// checkKeptEqualsScan runs TestInboxKeptEqualsScan; with collide, every
// key the lists wait on hashes alike, so that the records waiting for
// replies share one chain (awaiting).
func checkKeptEqualsScan(t *testing.T, collide bool) {
	self := crypto.PublicKey{1}
	for seed := range uint64(150) {
		g := newInboxHistory(seed)
		var all []HeldRecord
		for range 40 {
			all = append(all, g.entry()...)
		}
		g.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		l := newInboxLists("IN", self)
		if collide {
			l.notices.hash = func(protocol.EntryRef) uint64 { return 0 }
			l.questions.hash = l.notices.hash
			l.certs.hash = func(confKey) uint64 { return 0 }
		}
		var added []HeldRecord
		for i, h := range all {
			if i > 0 && g.rng.IntN(8) == 0 { // committed during a build: held twice
				again := all[g.rng.IntN(i)]
				l.add(again)
				added = append(added, again)
			}
			l.add(h)
			added = append(added, h)
			q := InboxQuery{Limit: g.rng.IntN(5), Offset: g.rng.IntN(6)}
			scan := inboxScan{"IN", self, heldSource(added)}
			want, err := scan.inbox(q)
			if err != nil {
				t.Fatal(err)
			}
			if got := keptAnswer(l, q); !reflect.DeepEqual(got, withoutBodies(want)) {
				t.Fatalf("seed %d (keys collide: %v), after %d records (the last %s %s/%d.%d), %+v:\nkept %+v\nscan %+v",
					seed, collide, i+1, h.Type, h.Feed, h.Seq, h.Item, q, got, want)
			}
		}
	}
}

// TestInboxKeepsNoParsedDocuments: the lists keep of a certificate or an
// import confirmation only the fields they read, not the parsed record
// (its traders and lines: 60 MB after an import of 100,000 certificates),
// whichever way it came in.
func TestInboxKeepsNoParsedDocuments(t *testing.T) {
	g := newInboxHistory(3)
	l := newInboxLists("IN", crypto.PublicKey{1})
	docs := 0
	for range 60 {
		for _, h := range g.entry() {
			l.add(h)
		}
	}
	for _, typ := range []string{protocol.CertificateType, protocol.ImportConfirmationType} {
		l.chains[typ].Each(func(_ reconcile.Pos, r *inboxRec) {
			docs++
			if r.value != nil || r.doc.number == "" {
				t.Fatalf("%s %s/%d.%d: kept value %T, fields %+v", typ, r.feed, r.seq, r.item, r.value, r.doc)
			}
		})
	}
	if docs == 0 {
		t.Fatal("no certificate or confirmation held: the test checks nothing")
	}
}

// TestInboxOrder: the chunked list pages exactly as a sorted slice,
// through enough inserts and deletes to split and empty chunks.
func TestInboxOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o inboxOrder
	var want []*inboxRec
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6000 {
		if len(want) > 0 && rng.IntN(3) == 0 {
			r := want[rng.IntN(len(want))]
			o.delete(r)
			want = slices.DeleteFunc(want, func(x *inboxRec) bool { return x == r })
		} else {
			r := &inboxRec{feed: fmt.Sprint(rng.IntN(3)), seq: uint64(i), time: t0.Add(time.Duration(rng.IntN(50)) * time.Minute)}
			o.insert(r)
			want = append(want, r)
		}
		if i%500 != 0 {
			continue
		}
		slices.SortFunc(want, newestFirstRec)
		off, lim := rng.IntN(len(want)+1), 1+rng.IntN(3000)
		if got := o.page(off, lim); !slices.Equal(got, want[off:min(off+lim, len(want))]) || o.Len() != len(want) {
			t.Fatalf("after %d changes, page %d+%d: %d records of %d, want %d of %d", i, off, lim, len(got), o.Len(), min(lim, len(want)-off), len(want))
		}
	}
	if len(o.chunks) < 2 {
		t.Fatalf("%d chunks: the test does not split them", len(o.chunks))
	}
}

// TestInboxRotatedTie: records of one code's two feeds (a rotation) at
// the same seq and time are listed by feed key, as the scan lists them,
// whichever came first.
func TestInboxRotatedTie(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cert := func(key byte, number string) HeldRecord {
		return HeldRecord{Feed: "BE", key: crypto.PublicKey{key}, Seq: 1, Time: at, Type: protocol.CertificateType,
			Value: &protocol.Certificate{Issuer: "BE", Number: number, Destination: "IN"}}
	}
	recs := []HeldRecord{cert(2, "N2"), cert(3, "N3")}
	l := newInboxLists("IN", crypto.PublicKey{1})
	for _, h := range recs {
		l.add(h)
	}
	want, err := inboxScan{"IN", crypto.PublicKey{1}, heldSource(recs)}.inbox(InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := keptAnswer(l, InboxQuery{}); !reflect.DeepEqual(got.ToConfirm, want.ToConfirm) {
		t.Fatalf("kept %+v, scan %+v", got.ToConfirm, want.ToConfirm)
	}
}

// TestInboxBuildMeanwhile: a record committed while the lists are read
// from the store (after the read passed it) is in the lists the read
// gives; lists read while a partner changed are read again.
func TestInboxBuildMeanwhile(t *testing.T) {
	self := crypto.PublicKey{1}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	x := &inboxIndex{}
	x.commit("IN", self, 1, at, &protocol.Certificate{Issuer: "IN", Number: "N1", Destination: "BE"}) // before any read: left to the read, which finds it in the store
	reads := 0
	read := func() (*inboxLists, error) {
		reads++
		if reads == 1 {
			x.invalidate() // a partner added meanwhile
		}
		x.commit("IN", self, uint64(1+reads), at, &protocol.Certificate{Issuer: "IN", Number: fmt.Sprint("N", 1+reads), Destination: "BE"})
		return newInboxLists("IN", self), nil
	}
	if err := x.build(read); err != nil {
		t.Fatal(err)
	}
	ib, _, _ := x.lists.answer(InboxQuery{})
	var seqs []uint64
	for _, c := range ib.Unconfirmed {
		seqs = append(seqs, c.Seq)
	}
	if reads != 2 || !slices.Equal(seqs, []uint64{3}) {
		t.Fatalf("%d reads, certificates at %v; want 2 reads, and the one committed during the last read (seq 3)", reads, seqs)
	}
	x.commit("IN", self, 4, at, &protocol.Certificate{Issuer: "IN", Number: "N4", Destination: "BE"})
	if ib, _, _ := x.lists.answer(InboxQuery{}); ib.Counts.Unconfirmed != 2 {
		t.Fatalf("after a commit: %+v, want 2 unconfirmed", ib.Counts)
	}
}
