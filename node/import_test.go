package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// certificates returns n valid certificate bodies IN0000001…, from the
// example in docs/examples.
func certificates(t *testing.T, n int) [][]byte {
	t.Helper()
	tmpl, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strings.Replace(string(tmpl), `"IN0001234"`, fmt.Sprintf(`"IN%07d"`, i+1), 1))
	}
	return out
}

func TestImportIsIdempotent(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	ctx := context.Background()
	certs := certificates(t, 300)

	dry, err := in.Import(ctx, "certificate", certs, []string{"BE"}, true)
	if err != nil || dry.New != 300 || len(dry.Entries) != 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if h, _ := in.st.Head(in.id.Public()); h.Seq != 0 {
		t.Fatalf("dry run appended %d entries", h.Seq)
	}
	res, err := in.Import(ctx, "certificate", certs, []string{"BE"}, false)
	if err != nil || res.New != 300 || res.Skipped != 0 || len(res.Entries) == 0 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	again, err := in.Import(ctx, "certificate", certs, []string{"BE"}, false)
	if err != nil || again.New != 0 || again.Skipped != 300 || len(again.Entries) != 0 {
		t.Fatalf("re-import: %+v, %v", again, err)
	}
	more, err := in.Import(ctx, "certificate", certificates(t, 310), []string{"BE"}, false)
	if err != nil || more.New != 10 || more.Skipped != 300 {
		t.Fatalf("import of 10 more: %+v, %v", more, err)
	}

	changed := certificates(t, 1)
	changed[0] = []byte(strings.Replace(string(changed[0]), `"parcels": 3`, `"parcels": 4`, 1))
	head, _ := in.st.Head(in.id.Public())
	if _, err := in.Import(ctx, "certificate", append(certificates(t, 320)[310:], changed[0]), []string{"BE"}, false); !errors.Is(err, ErrImportConflict) {
		t.Fatalf("changed certificate: err = %v, want ErrImportConflict", err)
	}
	if h, _ := in.st.Head(in.id.Public()); h != head {
		t.Fatalf("a failed import appended entries: head %d -> %d", head.Seq, h.Seq)
	}
	eventually(t, 30*time.Second, "BE holds IN's batches", func() error {
		return holds(be, "IN", head.Seq)
	})
	refs, err := be.st.LookupKey("certificate/IN/IN0000150")
	if err != nil || len(refs) != 1 || refs[0].Author != in.id.Public() {
		t.Fatalf("BE's index of IN's certificate: %+v, %v", refs, err)
	}
}

func TestExportAndKPStatistics(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	ctx := context.Background()
	certs := certificates(t, 40)
	if _, err := in.Import(ctx, "certificate", certs, []string{"BE"}, false); err != nil {
		t.Fatal(err)
	}
	out, err := in.Export("certificate", ExportFilter{Partner: "BE"})
	if err != nil || len(out) != 40 {
		t.Fatalf("export: %d bodies, %v", len(out), err)
	}
	for i := range out {
		if !jsonEqual(out[i], certs[i]) {
			t.Fatalf("exported body %d differs:\n%s\n%s", i, out[i], certs[i])
		}
	}
	// export, then import into a fresh node of the same authority, gives
	// the same records (another authority's node may not import them)
	fresh, other := testNode(t, "IN"), testNode(t, "BW")
	pin(t, fresh, other)
	if res, err := fresh.Import(ctx, "certificate", out, nil, false); err != nil || res.New != 40 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "BE (40)") {
		t.Fatalf("import into a fresh node: %+v, %v", res, err)
	}
	again, err := fresh.Export("certificate", ExportFilter{})
	if err != nil || len(again) != len(out) {
		t.Fatalf("export of the fresh node: %d bodies, %v", len(again), err)
	}
	for i := range out {
		if !jsonEqual(out[i], again[i]) {
			t.Fatalf("record %d changed on the way through a fresh node", i)
		}
	}
	if none, _ := in.Export("certificate", ExportFilter{Partner: "AE"}); len(none) != 0 {
		t.Fatalf("export for AE: %d bodies", len(none))
	}
	from, _ := protocol.ParseDate("2026-10-01")
	if none, _ := in.Export("certificate", ExportFilter{From: from}); len(none) != 0 {
		t.Fatalf("export from October: %d bodies (all issued in September)", len(none))
	}
	q, _ := protocol.ParseQuarter("2026-Q3")
	table, err := in.KPStatistics(q)
	if err != nil || len(table.Rows) != 2 {
		t.Fatalf("statistics: %+v, %v", table, err)
	}
	gem := table.Rows[1] // 7102.31 sorts after 7102.21
	if gem.Flow != "export" || gem.Partner != "BE" || gem.HSCode != "7102.31" || gem.Certificates != 40 || gem.Carats.String() != "60814.00" {
		t.Fatalf("gem row: %+v", gem)
	}
	// BE holds the certificates but has confirmed none: imports count by
	// date of import, from BE's own confirmations, so BE has none yet
	eventually(t, 30*time.Second, "BE holds the certificates", func() error {
		if out, err := be.Export("certificate", ExportFilter{}); err != nil || len(out) != 40 {
			return fmt.Errorf("BE holds %d certificates, %v", len(out), err)
		}
		return nil
	})
	if table, err := be.KPStatistics(q); err != nil || len(table.Rows) != 0 {
		t.Fatalf("BE statistics without confirmations: %+v, %v", table, err)
	}
}

// TestImportFillsBatchesTheMemoryStoreHolds: an import whose records fill
// more than one batch packs each batch so that its sealed entry fits the
// in-memory store's 1 MiB value limit (a full 1 MiB body did not: 1,049,052
// bytes once sealed), and every record arrives.
func TestImportFillsBatchesTheMemoryStoreHolds(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	certs := certificates(t, 3000)
	res, err := in.Import(context.Background(), "certificate", certs, []string{"BE"}, false)
	if err != nil {
		t.Fatalf("import of %d certificates: %v", len(certs), err)
	}
	if res.New != len(certs) || len(res.Entries) < 2 {
		t.Fatalf("import: %d new in %d entries; want %d in 2 or more", res.New, len(res.Entries), len(certs))
	}
	for _, p := range res.Entries {
		if p.Size > in.st.MaxEntrySize() {
			t.Errorf("entry %d of %d bytes over the store's %d", p.Seq, p.Size, in.st.MaxEntrySize())
		}
	}
}

// TestLargestBatchForTheMostRecipientsFitsTheMemoryStore: the largest
// batch body batchBodyLimit allows, sealed for a full audience
// (protocol.MaxAudience codes) and its recipients plus the author, is an
// entry the in-memory store holds; one byte more would not fit the
// computed bound; and a body of the protocol's full limit, as packed
// before, is refused (the test's premise).
func TestLargestBatchForTheMostRecipientsFitsTheMemoryStore(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audience, rcpts := fullAudience(t)
	limit := batchBodyLimit(len(audience), len(rcpts), st.MaxEntrySize())
	if protocol.SealedEntrySizeBound(protocol.BatchType, len(audience), len(rcpts), limit+1) <= st.MaxEntrySize() {
		t.Fatalf("a body of %d bytes, one over the limit, still fits", limit+1)
	}
	body := largestBatch(t, limit)
	if err := st.Append(sealedBatch(t, audience, rcpts, body)); err != nil {
		t.Fatalf("largest batch (%d bytes) for %d recipients: %v", len(body), len(rcpts), err)
	}
	full := largestBatch(t, protocol.MaxBodySize)
	if err := st.Append(sealedBatch(t, audience, rcpts, full)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a batch of the protocol's %d bytes: %v; want the store's limit", len(full), err)
	}
}

// fullAudience is protocol.MaxAudience participant codes and an X25519
// recipient for each and for the author.
func fullAudience(t *testing.T) ([]string, []age.Recipient) {
	t.Helper()
	var codes []string
	for a := 'A'; len(codes) < protocol.MaxAudience; a++ {
		for b := 'A'; b <= 'Z' && len(codes) < protocol.MaxAudience; b++ {
			codes = append(codes, string([]rune{a, b}))
		}
	}
	rcpts := make([]age.Recipient, len(codes)+1)
	for i := range rcpts {
		k, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		rcpts[i] = k.Recipient()
	}
	return codes, rcpts
}

// largestBatch is a batch body of exactly size bytes, packed by
// PackBatches from one item padded to fill it.
func largestBatch(t *testing.T, size int) []byte {
	t.Helper()
	empty, err := protocol.PackBatches("certificate", [][]byte{[]byte(`{"p":""}`)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	item := `{"p":"` + strings.Repeat("x", size-len(empty[0])) + `"}`
	out, err := protocol.PackBatches("certificate", [][]byte{[]byte(item)}, size)
	if err != nil || len(out) != 1 || len(out[0]) != size {
		t.Fatalf("pack a batch of %d bytes: %d batches, %v", size, len(out), err)
	}
	return out[0]
}

// sealedBatch seals body for rcpts and signs it as the first entry of a
// new author for audience, with its record.
func sealedBatch(t *testing.T, audience []string, rcpts []age.Recipient, body []byte) (*protocol.Entry, *store.Record) {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ct, commitment, salt, err := protocol.SealRecordSalted(body, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(id, protocol.Draft{Seq: 1, Time: time.Now(), Type: protocol.BatchType,
		Audience: audience, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	return e, &store.Record{Type: protocol.BatchType, Body: body, Salt: salt[:]}
}
