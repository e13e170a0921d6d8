package node

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// inboxSeqs returns the seqs of the notices and the certificates to
// confirm in n's inbox, and the length of each whole list.
func inboxSeqs(t *testing.T, n *Node) (notices, toConfirm []uint64) {
	t.Helper()
	ib, err := n.Inbox(InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ib.Notices {
		notices = append(notices, r.Seq)
	}
	for _, c := range ib.ToConfirm {
		toConfirm = append(toConfirm, c.Seq)
	}
	if ib.Counts.Notices != len(notices) || ib.Counts.ToConfirm != len(toConfirm) || ib.Truncated {
		t.Fatalf("one page holds everything, yet counts %+v, truncated %v", ib.Counts, ib.Truncated)
	}
	return notices, toConfirm
}

// wantInbox waits until BE's inbox lists exactly the notices and
// certificates at the seqs of IN's feed given.
func wantInbox(t *testing.T, be *Node, what string, notices, toConfirm []uint64) {
	t.Helper()
	eventually(t, 30*time.Second, what, func() error {
		n, c := inboxSeqs(t, be)
		if !slices.Equal(n, notices) || !slices.Equal(c, toConfirm) {
			return fmt.Errorf("notices at %v, certificates to confirm at %v; want %v and %v", n, c, notices, toConfirm)
		}
		return nil
	})
}

// TestInboxCurrentRecords: BE's inbox follows the one current-record
// rule. A corrected notice waits once, as its correction; a withdrawn one
// not at all. A corrected certificate awaits confirmation once, as its
// correction; BE's confirmation takes it out, and BE's withdrawal of that
// confirmation puts it back.
func TestInboxCurrentRecords(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	ctx := context.Background()
	publish := func(n *Node, typ string, body []byte, to string) uint64 {
		t.Helper()
		p, err := n.Publish(ctx, typ, body, []string{to})
		if err != nil {
			t.Fatalf("publish %s: %v", typ, err)
		}
		return p.Seq
	}
	supersedes := func(body []byte, seq uint64) []byte {
		return bytes.Replace(body, []byte(`"version": 1,`), []byte(fmt.Sprintf(`"version": 1, "supersedes": {"seq": %d},`, seq)), 1)
	}
	withdraw := func(seq uint64) []byte {
		return []byte(fmt.Sprintf(`{"version": 1, "supersedes": {"seq": %d}, "reason": "test"}`, seq))
	}

	n1 := publish(in, "notice", notice(t), "BE")
	wantInbox(t, be, "the notice waits", []uint64{n1}, nil)
	amended := bytes.Replace(notice(t), []byte("the goods are held"), []byte("the goods are seized"), 1)
	n2 := publish(in, "notice", supersedes(amended, n1), "BE")
	wantInbox(t, be, "the correction replaces the notice", []uint64{n2}, nil)
	publish(in, "withdrawal", withdraw(n2), "BE")
	wantInbox(t, be, "the withdrawn notice waits no more", nil, nil)

	cert := certificates(t, 1)[0]
	c1 := publish(in, "certificate", cert, "BE")
	wantInbox(t, be, "the certificate awaits confirmation", nil, []uint64{c1})
	corrected := bytes.Replace(supersedes(cert, c1), []byte(`"parcels": 3`), []byte(`"parcels": 2`), 1)
	c2 := publish(in, "certificate", corrected, "BE")
	wantInbox(t, be, "the correction awaits confirmation once", nil, []uint64{c2})
	conf := publish(be, "import_confirmation", confirmations(t)[0], "IN") // of IN0000001

	wantInbox(t, be, "the confirmed certificate waits no more", nil, nil)
	publish(be, "withdrawal", withdraw(conf), "IN")
	wantInbox(t, be, "a withdrawn confirmation confirms nothing", nil, []uint64{c2})
}

// TestInboxPaged: every list is read whole and answered a page at a
// time, newest first, with its whole length in Counts.
func TestInboxPaged(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	for _, c := range certificates(t, 5) {
		if _, err := in.Publish(context.Background(), "certificate", c, []string{"BE"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		q     InboxQuery
		seqs  []uint64
		trunc bool
	}{
		{InboxQuery{}, []uint64{5, 4, 3, 2, 1}, false},
		{InboxQuery{Limit: 2}, []uint64{5, 4}, true},
		{InboxQuery{Limit: 2, Offset: 2}, []uint64{3, 2}, true},
		{InboxQuery{Limit: 2, Offset: 4}, []uint64{1}, false},
		{InboxQuery{Limit: 2, Offset: 9}, nil, false},
	} {
		ib, err := in.Inbox(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []uint64
		for _, c := range ib.Unconfirmed {
			seqs = append(seqs, c.Seq)
		}
		if !slices.Equal(seqs, tt.seqs) || ib.Counts.Unconfirmed != 5 || ib.Truncated != tt.trunc || ib.Unconfirmed == nil {
			t.Errorf("%+v: unconfirmed at %v, counts %+v, truncated %v; want %v, 5, %v", tt.q, seqs, ib.Counts, ib.Truncated, tt.seqs, tt.trunc)
		}
	}
}

// BenchmarkInbox answers the inbox of a node holding 10,000 of its own
// certificates in batch entries (KPNODE_BENCH_INBOX_CERTS sets another
// number), none confirmed: "kept" from the lists kept current as records
// are committed, "scan" by reading and resolving every certificate and
// confirmation held, as the inbox did before (the reference of
// inbox_index_test.go). Their ratio is the gain. lists-B/cert is the heap
// the kept lists take, per certificate, add-ns/cert the time a
// certificate takes to add to them (what storing one adds).
func BenchmarkInbox(b *testing.B) {
	n := 10000
	if v := os.Getenv("KPNODE_BENCH_INBOX_CERTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 || n%10 != 0 {
			b.Fatalf("KPNODE_BENCH_INBOX_CERTS=%q: want a multiple of 10", v)
		}
	}
	in, be := testNode(b, "IN"), testNode(b, "BE")
	pin(b, in, be)
	tmpl, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		b.Fatal(err)
	}
	certs := make([][]byte, n)
	for i := range certs {
		certs[i] = bytes.Replace(tmpl, []byte(`"IN0001234"`), fmt.Appendf(nil, `"IN%07d"`, i+1), 1)
	}
	const perEntry = 1000 // an in-memory store takes entries up to 1 MiB
	for i := 0; i < n; i += perEntry {
		if _, err := in.Import(context.Background(), "certificate", certs[i:min(i+perEntry, n)], []string{"BE"}, false); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := in.Inbox(InboxQuery{}); err != nil { // pinning BE dropped the lists: read them once
		b.Fatal(err)
	}
	weight, addNs := listsWeight(b, in)
	for _, bb := range []struct {
		name  string
		inbox func(InboxQuery) (Inbox, error)
	}{{"kept", in.Inbox}, {"scan", in.scanInbox}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				ib, err := bb.inbox(InboxQuery{})
				if err != nil || ib.Counts.Unconfirmed != n {
					b.Fatalf("inbox: %+v, %v", ib.Counts, err)
				}
			}
			if bb.name == "kept" {
				b.ReportMetric(weight, "lists-B/cert")
				b.ReportMetric(addNs, "add-ns/cert")
			}
		})
	}
}

// listsWeight returns the heap that lists of n's certificates take, and
// the time each takes to add, per certificate: the held records are read
// first, so that only the lists are weighed.
func listsWeight(b *testing.B, n *Node) (heap, ns float64) {
	recs, err := n.heldRecordsOf(protocol.CertificateType, nil)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	l := newInboxLists(n.cfg.Participant, n.id.Public())
	for _, h := range recs {
		l.add(h)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(l)
	runtime.KeepAlive(recs)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(len(recs)), float64(took.Nanoseconds()) / float64(len(recs))
}

// sameInbox waits until n's inbox answers every query of qs exactly as
// the scan of its held records does.
func sameInbox(t *testing.T, n *Node, what string) {
	t.Helper()
	eventually(t, 30*time.Second, what, func() error { return inboxDiff(n) })
}

// inboxDiff compares n's inbox with the scan, whole and paged.
func inboxDiff(n *Node) error {
	for _, q := range []InboxQuery{{}, {Limit: 2, Offset: 1}} {
		got, err := n.Inbox(q)
		if err != nil {
			return err
		}
		want, err := n.scanInbox(q)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("%+v: inbox %+v\nscan %+v", q, got, want)
		}
	}
	return nil
}

// TestInboxKeptOnNodes: on two nodes exchanging a random history of
// notices, questions, certificates (lone and in batches), their replies,
// corrections and withdrawals, each node's inbox equals the scan of its
// store after every step; right after a restart (the lists read again
// from the store while reconciliation loads); and after a partner is
// removed (its feed loses its code).
func TestInboxKeptOnNodes(t *testing.T) {
	fin, fbe := newFixture(t, "IN"), newFixture(t, "BE")
	in, be := fin.start(), fbe.start()
	pinBoth(t, fin, fbe)
	h := newNodeHistory(t, in, be)
	for i := range 30 {
		what := h.step(i)
		sameInbox(t, in, "IN after "+what)
		sameInbox(t, be, "BE after "+what)
	}
	eventually(t, 30*time.Second, "BE holds IN's feed", func() error {
		if hd, err := be.st.Head(in.id.Public()); err != nil || hd.Seq != h.seqs[in] {
			return fmt.Errorf("BE holds IN's feed to %+v (%v), IN wrote %d", hd, err, h.seqs[in])
		}
		return nil
	})
	fbe.stop()
	be = fbe.start()
	if err := inboxDiff(be); err != nil {
		t.Fatalf("right after a restart: %v", err)
	}
	if ib, _ := be.Inbox(InboxQuery{}); ib.Counts == (InboxCounts{}) {
		t.Fatalf("BE's inbox is empty: the history tests nothing")
	}
	if err := be.RemovePartner("IN"); err != nil {
		t.Fatal(err)
	}
	sameInbox(t, be, "BE after removing IN")
}

// nodeHistory publishes a random history on IN and BE.
type nodeHistory struct {
	t       *testing.T
	rng     *rand.Rand
	in, be  *Node
	seqs    map[*Node]uint64   // the last seq each wrote
	certs   []uint64           // IN's lone certificates
	bodies  map[uint64][]byte  // their bodies, by seq
	numbers []string           // the numbers of IN's certificates
	asked   map[*Node][]uint64 // the notices (BE) and queries (IN) each received
	query   []byte             // the example anomaly query
	next    int                // the next certificate of certificates(t, …)
	pool    [][]byte
}

func newNodeHistory(t *testing.T, in, be *Node) *nodeHistory {
	h := &nodeHistory{t: t, rng: rand.New(rand.NewPCG(4, 5)), in: in, be: be, seqs: map[*Node]uint64{},
		asked: map[*Node][]uint64{}, bodies: map[uint64][]byte{}, pool: certificates(t, 40)}
	var err error
	if h.query, err = os.ReadFile("../docs/examples/anomaly_query.json"); err != nil {
		t.Fatal(err)
	}
	return h
}

// publish publishes body of typ from n to the other node; a record the
// node refuses (a withdrawal of a withdrawn record) is left out.
func (h *nodeHistory) publish(n *Node, typ string, body []byte) (uint64, bool) {
	to := "BE"
	if n == h.be {
		to = "IN"
	}
	p, err := n.Publish(context.Background(), typ, body, []string{to})
	if err != nil {
		h.t.Logf("%s refused: %v", typ, err)
		return 0, false
	}
	h.seqs[n] = p.Seq
	return p.Seq, true
}

// step takes one random step and says what it was.
func (h *nodeHistory) step(i int) string {
	from := h.in
	if h.rng.IntN(2) == 0 {
		from = h.be
	}
	switch k := h.rng.IntN(7); {
	case k == 0 && from == h.in:
		body := bytes.Replace(notice(h.t), []byte(`"IN-N-2026-0031"`), fmt.Appendf(nil, `"IN-N-2026-%04d"`, i), 1)
		if seq, ok := h.publish(h.in, "notice", body); ok {
			h.asked[h.be] = append(h.asked[h.be], seq)
		}
		return "a notice"
	case k == 0:
		body := bytes.Replace(h.query, []byte(`"BE-AQ-2026-0012"`), fmt.Appendf(nil, `"BE-AQ-2026-%04d"`, i), 1)
		if seq, ok := h.publish(h.be, "anomaly_query", body); ok {
			h.asked[h.in] = append(h.asked[h.in], seq)
		}
		return "a query"
	case k == 1 && len(h.asked[from]) > 0:
		of := h.asked[from][h.rng.IntN(len(h.asked[from]))]
		if from == h.be {
			h.publish(h.be, "acknowledgement", fmt.Appendf(nil, `{"version": 1, "of": {"feed": "IN", "seq": %d}, "received": "2026-11-20"}`, of))
			return "an acknowledgement"
		}
		h.publish(h.in, "anomaly_answer", fmt.Appendf(nil, `{"version": 1, "query": {"feed": "BE", "seq": %d}, "answer": "tender lots", "status": "answered"}`, of))
		return "an answer"
	case k == 2 && from == h.in:
		h.certificate(i)
		return "a certificate"
	case k == 3 && from == h.in && len(h.certs) > 0:
		seq := h.certs[h.rng.IntN(len(h.certs))]
		body := bytes.Replace(h.bodies[seq], []byte(`"version": 1,`), fmt.Appendf(nil, `"version": 1, "supersedes": {"seq": %d},`, seq), 1)
		body = bytes.Replace(body, []byte(`"parcels": 3`), fmt.Appendf(nil, `"parcels": %d`, 10+i), 1)
		if c, ok := h.publish(h.in, "certificate", body); ok {
			h.certs, h.bodies[c] = append(h.certs, c), h.bodies[seq]
		}
		return "a correction"
	case k == 4 && from == h.be && len(h.numbers) > 0:
		n := h.numbers[h.rng.IntN(len(h.numbers))]
		h.publish(h.be, "import_confirmation", confirmationOf(h.t, n, 3))
		return "a confirmation of " + n
	case k == 5 && h.seqs[from] > 0:
		seq := 1 + h.rng.Uint64N(h.seqs[from])
		h.publish(from, "withdrawal", fmt.Appendf(nil, `{"version": 1, "supersedes": {"seq": %d}, "reason": "test"}`, seq))
		return fmt.Sprintf("a withdrawal of %s/%d", from.cfg.Participant, seq)
	case k == 6 && from == h.in:
		items := h.pool[h.next : h.next+2]
		h.numbers = append(h.numbers, fmt.Sprintf("IN%07d", h.next+1), fmt.Sprintf("IN%07d", h.next+2))
		h.next += 2
		if r, err := h.in.Import(context.Background(), "certificate", items, []string{"BE"}, false); err != nil {
			h.t.Fatal(err)
		} else {
			h.seqs[h.in] = r.Entries[len(r.Entries)-1].Seq
		}
		return "a batch of certificates"
	}
	h.certificate(i)
	return "a certificate"
}

// certificate publishes IN's next certificate.
func (h *nodeHistory) certificate(i int) {
	h.next++
	if seq, ok := h.publish(h.in, "certificate", h.pool[h.next-1]); ok {
		h.certs, h.bodies[seq] = append(h.certs, seq), h.pool[h.next-1]
		h.numbers = append(h.numbers, fmt.Sprintf("IN%07d", h.next))
	}
}
