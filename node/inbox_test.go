package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
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
// inbox_index_test.go). Their ratio is the gain.
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
	if _, err := in.Inbox(InboxQuery{}); err != nil { // the lists are read once, after start
		b.Fatal(err)
	}
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
		})
	}
}
