package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/kpnode/kpnode/tabular"
)

// BenchmarkImportCertificates measures issue 4's import target: a CSV of
// 100,000 certificates (two lines each, 200,000 rows) read and validated,
// then packed into batch entries, sealed, signed and stored on disk by a
// node with one partner. Target: under 10 s. -short imports 2,000.
func BenchmarkImportCertificates(b *testing.B) { benchImport(b, nil) }

// BenchmarkImportCertificatesEncrypted is BenchmarkImportCertificates on
// a store encrypted at rest (kpnode init --encrypt-store): the cost of
// Badger's AES-CTR on every table and value-log write.
func BenchmarkImportCertificatesEncrypted(b *testing.B) {
	benchImport(b, bytes.Repeat([]byte{0x5a}, store.EncryptionKeySize))
}

func benchImport(b *testing.B, key []byte) {
	n := 100000
	if testing.Short() {
		n = 2000
	}
	csv := certificateCSV(b, n)
	kind, _ := tabular.LookupKind("certificates")
	for b.Loop() {
		b.StopTimer()
		in := diskNodeKey(b, "IN", key)
		be := newBenchMember(b, "BE")
		c, _ := be.n.Card()
		if _, err := in.AddPartner(c.Bytes()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		items, err := tabular.ReadTable(kind, "bench.csv", bytes.NewReader(csv), "csv")
		if err != nil {
			b.Fatal(err)
		}
		res, err := in.Import(context.Background(), protocol.CertificateType, items, []string{"BE"}, false)
		if err != nil || res.New != n {
			b.Fatalf("import: %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "certificates/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*100000/float64(n), "s/100k")
}

// certificateCSV writes n two-line certificates in the import format.
func certificateCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	buf.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n")
	for i := 1; i <= n; i++ {
		head := fmt.Sprintf("IN%07d,IN,KP Authority of India,2026-09-14,2026-11-13,Example Exports Pvt Ltd,GJEPC/KP/2026/01873,IN,Example Diamonds BV,FOD-DIA-004512,BE,BE,MIXED,3,", i)
		fmt.Fprintf(&buf, "%s7102.31,1520.35,228052.50\n%s7102.21,310.00,3100.00\n", head, head)
	}
	return buf.Bytes()
}

// diskNodeKey starts a node on a disk store in a temporary directory,
// encrypted with key (nil: not encrypted).
func diskNodeKey(tb testing.TB, code string, key []byte) *Node {
	tb.Helper()
	dir, err := os.MkdirTemp("", "kpnode-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	id, err := crypto.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := DefaultConfig(code, "Authority "+code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n, err := New(cfg, id, st, nil)
	if err == nil {
		err = n.Start(context.Background())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close(); st.Close(); os.RemoveAll(dir) })
	return n
}
