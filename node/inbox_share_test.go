package node

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// TestInboxRecordsShareCodes: certificates and confirmations of the same
// issuer and destination, each parsed into strings of its own, share one
// copy of the two codes, and the records of a feed share its key; a
// record stays within 128 bytes (176 kept 25 MB after an import of
// 100,000 certificates).
func TestInboxRecordsShareCodes(t *testing.T) {
	if size := unsafe.Sizeof(inboxRec{}); size > 128 {
		t.Fatalf("inboxRec is %d bytes, want at most 128", size)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	own := func(s string) string { return strings.Clone(s) } // as a parser gives it
	l := newInboxLists("IN", crypto.PublicKey{1})
	for i := range 40 {
		key := crypto.PublicKey{byte(2 + i%2)}
		l.add(HeldRecord{Feed: "BE", key: key, Seq: uint64(1 + i), Time: at, Type: protocol.CertificateType,
			Value: &protocol.Certificate{Issuer: own("BE"), Number: fmt.Sprint("N", i), Destination: own([]string{"IN", "AE"}[i%2])}})
		l.add(HeldRecord{Feed: "IN", key: crypto.PublicKey{1}, Seq: uint64(1 + i), Time: at, Type: protocol.ImportConfirmationType,
			Value: &protocol.ImportConfirmation{Issuer: own("BE"), CertificateNumber: fmt.Sprint("N", i)}})
	}
	routes := map[docRoute]*docRoute{}
	keys := map[string]*string{}
	n := 0
	for _, typ := range []string{protocol.CertificateType, protocol.ImportConfirmationType} {
		l.chains[typ].Each(func(_ reconcile.Pos, r *inboxRec) {
			n++
			if first, ok := routes[*r.doc.route]; ok && first != r.doc.route {
				t.Fatalf("%s %s/%d: route %+v is a copy of its own", typ, r.feed, r.seq, *r.doc.route)
			}
			routes[*r.doc.route] = r.doc.route
			if first, ok := keys[*r.key]; ok && first != r.key {
				t.Fatalf("%s %s/%d: feed key is a copy of its own", typ, r.feed, r.seq)
			}
			keys[*r.key] = r.key
		})
	}
	if n != 80 || len(routes) != 3 || len(keys) != 3 {
		t.Fatalf("%d records, %d routes, %d keys; want 80, 3 (BE→IN, BE→AE, BE for confirmations), 3", n, len(routes), len(keys))
	}
}

// TestInboxIssueDates: the inbox lists a certificate's issue date as the
// certificate says it, whatever the date: packed when it fits (the value
// is then let go), the value kept when it does not.
func TestInboxIssueDates(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dates := []protocol.Date{{}, {Year: -1, Month: 1, Day: 1}, {Year: 2026, Month: 13, Day: 1}, {Year: 2026, Month: 12, Day: 99},
		{Year: 10000, Month: 1, Day: 31}, {Year: protocol.PackedYears, Month: 12, Day: 31}, {Year: -protocol.PackedYears, Month: 0, Day: 0},
		{Year: protocol.PackedYears + 1, Month: 1, Day: 1}, {Year: math.MinInt, Month: -1, Day: -1}, {Year: 2026, Month: 15, Day: 31}}
	for range 2000 {
		dates = append(dates, protocol.Date{Year: rng.IntN(2*protocol.PackedYears+3) - protocol.PackedYears - 1, Month: time.Month(rng.IntN(17) - 1), Day: rng.IntN(34) - 1})
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := newInboxLists("IN", crypto.PublicKey{1})
	for i, d := range dates {
		l.add(HeldRecord{Feed: "IN", key: crypto.PublicKey{1}, Seq: uint64(1 + i), Time: at, Type: protocol.CertificateType,
			Value: &protocol.Certificate{Issuer: "IN", Number: fmt.Sprint("N", i), Destination: "BE", Issued: d}})
	}
	ib, _, _ := l.answer(InboxQuery{Limit: MaxInboxLimit})
	if len(ib.Unconfirmed) != len(dates) {
		t.Fatalf("%d certificates listed, want %d", len(ib.Unconfirmed), len(dates))
	}
	for _, c := range ib.Unconfirmed {
		if want := dates[c.Seq-1].String(); c.Issued != want {
			t.Fatalf("certificate %d issued %+v: listed as %q, want %q", c.Seq, dates[c.Seq-1], c.Issued, want)
		}
	}
	l.chains[protocol.CertificateType].Each(func(_ reconcile.Pos, r *inboxRec) {
		d := dates[r.seq-1]
		_, fits := protocol.PackDate(d)
		if fits != (r.value == nil) {
			t.Fatalf("certificate %d issued %+v: packs %v, kept value %v", r.seq, d, fits, r.value != nil)
		}
	})
}

// TestReconcileRecordsShareFeedKey: every reconciliation record of a
// feed carries its key's bytes in one shared string.
func TestReconcileRecordsShareFeedKey(t *testing.T) {
	var f findings
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	first := map[crypto.PublicKey]reconcile.Record{}
	for i := range 20 {
		key := crypto.PublicKey{byte(i % 3), 7}
		r := f.record("BE", key, uint64(i), at, time.Time{}, &protocol.Notice{})
		if r.FeedKey != string(key[:]) {
			t.Fatalf("record %d: feed key %x, want %x", i, r.FeedKey, key)
		}
		if p, ok := first[key]; ok && unsafe.StringData(p.FeedKey) != unsafe.StringData(r.FeedKey) {
			t.Fatalf("record %d: feed key is a copy of its own", i)
		}
		first[key] = r
	}
	if len(first) != 3 {
		t.Fatalf("%d feeds, want 3", len(first))
	}
}
