package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

const certHeader = "number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd,supersedes_seq,supersedes_item\n"

// certRow is a certificate row with one 7102.31 line.
func certRow(number, issuer, dest, issued, carats, value, supSeq, supItem string) string {
	return fmt.Sprintf("%s,%s,KP Authority,%s,2027-12-31,Exporter,EXP-1,%s,Importer,IMP-1,%s,%s,MIXED,1,7102.31,%s,%s,%s,%s\n",
		number, issuer, issued, issuer, dest, dest, carats, value, supSeq, supItem)
}

// table reads CSV text of kind as an import would.
func table(t *testing.T, kind, csv string) [][]byte {
	t.Helper()
	k, _ := tabular.LookupKind(kind)
	items, err := tabular.ReadTable(k, kind+".csv", strings.NewReader(csv), "csv")
	if err != nil {
		t.Fatalf("read %s: %v", kind, err)
	}
	return items
}

func mustImport(t *testing.T, n *Node, typ string, items [][]byte, wantNew int) ImportResult {
	t.Helper()
	res, err := n.Import(context.Background(), typ, items, []string{"all"}, false)
	if err != nil || res.New != wantNew {
		t.Fatalf("import: %+v, %v; want %d new", res, err, wantNew)
	}
	return res
}

// refused imports items, expects ImportProblems naming field, and checks
// that nothing was appended.
func refused(t *testing.T, n *Node, typ string, items [][]byte, field, reason string) {
	t.Helper()
	head, _ := n.st.Head(n.id.Public())
	_, err := n.Import(context.Background(), typ, items, []string{"all"}, false)
	var ip *ImportProblems
	if !errors.As(err, &ip) || len(ip.Problems) != 1 || ip.Problems[0].Field != field || !strings.Contains(ip.Problems[0].Reason, reason) {
		t.Fatalf("import: %v; want one problem in %q saying %q", err, field, reason)
	}
	if h, _ := n.st.Head(n.id.Public()); h != head {
		t.Fatalf("a refused import appended entries: %d -> %d", head.Seq, h.Seq)
	}
}

func exportCSV(t *testing.T, n *Node, kind string) string {
	t.Helper()
	k, _ := tabular.LookupKind(kind)
	bodies, err := n.Export(k.Type, ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tabular.WriteTable(k, &buf, "csv", bodies); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func quarter(t *testing.T, s string) protocol.Quarter {
	t.Helper()
	q, err := protocol.ParseQuarter(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func gemRow(t *testing.T, n *Node, q, flow string) KPStatisticsRow {
	t.Helper()
	table, err := n.KPStatistics(quarter(t, q))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range table.Rows {
		if r.Flow == flow && r.HSCode == "7102.31" {
			return r
		}
	}
	return KPStatisticsRow{}
}

// Issue 14 points 2 and 3: a correction imported from CSV supersedes the
// held record, counts once, and a re-import adds nothing.
func TestImportCorrection(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	two := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1520.35", "228052.50", "", "") +
		certRow("IN0000002", "IN", "BE", "2026-09-15", "1520.35", "228052.50", "", "")
	mustImport(t, in, "certificate", table(t, "certificates", two), 2) // entry 1, items 0 and 1
	if r := gemRow(t, in, "2026-Q3", "export"); r.Carats.String() != "3040.70" || r.Certificates != 2 {
		t.Fatalf("before the correction: %+v", r)
	}
	fix := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1500.00", "228052.50", "1", "0")
	mustImport(t, in, "certificate", table(t, "certificates", fix), 1) // entry 2
	mustImport(t, in, "certificate", table(t, "certificates", fix), 0) // idempotent
	if h, _ := in.st.Head(in.id.Public()); h.Seq != 2 {
		t.Fatalf("head %d after the re-import, want 2", h.Seq)
	}
	if r := gemRow(t, in, "2026-Q3", "export"); r.Carats.String() != "3020.35" || r.Certificates != 2 {
		t.Fatalf("after the correction: %+v (the corrected record counted twice?)", r)
	}
	out := exportCSV(t, in, "certificates")
	if strings.Count(out, "IN0000001") != 1 || !strings.Contains(out, "1500.00") || !strings.Contains(out, ",1,\n") { // supersedes_seq 1, no supersedes_item_no (no files: no attachments column)
		t.Fatalf("export lists superseded records, or hides what a row supersedes:\n%s", out)
	}
	// the export imports back into the same node as it is: nothing new
	mustImport(t, in, "certificate", table(t, "certificates", out), 0)

	// the original file again: the same as a version corrected since
	_, err := in.Import(context.Background(), "certificate", table(t, "certificates", two), []string{"all"}, false)
	if !errors.Is(err, ErrImportConflict) || !strings.Contains(err.Error(), "since corrected") {
		t.Fatalf("re-import of the original: %v", err)
	}
	// a correction of the corrected original, not of the current record
	again := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1490.00", "228052.50", "1", "0")
	refused(t, in, "certificate", table(t, "certificates", again), "supersedes.seq", "corrected by entry 2 item 1")
	// a correction of the correction: the chain counts its last record
	chain := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1490.00", "228052.50", "2", "0")
	mustImport(t, in, "certificate", table(t, "certificates", chain), 1) // entry 3
	if r := gemRow(t, in, "2026-Q3", "export"); r.Carats.String() != "3010.35" || r.Certificates != 2 {
		t.Fatalf("after a chain of corrections: %+v", r)
	}
	// a different record under a held key, without supersedes
	changed := certHeader + certRow("IN0000002", "IN", "BE", "2026-09-15", "1000.00", "228052.50", "", "")
	refused(t, in, "certificate", table(t, "certificates", changed), "", "supersedes_seq 1 and supersedes_item_no 2")
	// a correction naming an entry not yet published, or an item the entry lacks
	refused(t, in, "certificate", table(t, "certificates", certHeader+certRow("IN0000002", "IN", "BE", "2026-09-15", "1000.00", "228052.50", "9", "0")),
		"supersedes.seq", "feed ends at entry 3")
	refused(t, in, "certificate", table(t, "certificates", certHeader+certRow("IN0000002", "IN", "BE", "2026-09-15", "1000.00", "228052.50", "1", "7")),
		"supersedes.item", "no certificate at item 8")

	eventually(t, 30*time.Second, "BE holds IN's corrections", func() error {
		out, err := be.Export(protocol.CertificateType, ExportFilter{})
		if err != nil || len(out) != 2 || !bytes.Contains(out[1], []byte(`"1490.00"`)) {
			return fmt.Errorf("BE exports %d certificates, %v", len(out), err)
		}
		return nil
	})
}

// A correction names a record of its own type in its own feed: another
// type, or a record of another author, is refused; a correction cannot
// come in the same file as its original.
func TestImportCorrectionRefusals(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	stats := "reporter,period,flow,partner,hs_code,carats,value_usd,certificates,supersedes_seq,supersedes_item\n"
	mustImport(t, be, "trade_statistics", table(t, "trade-statistics", stats+"BE,2026-Q3,import,IN,7102.31,100.00,1000.00,2,,\n"), 1)
	mustImport(t, in, "certificate", table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "10.00", "100.00", "", "")), 1)
	// BE's entry 1 is statistics, not a certificate of BE's
	refused(t, be, "certificate", table(t, "certificates", certHeader+certRow("BE0000001", "BE", "IN", "2026-09-14", "10.00", "100.00", "1", "0")),
		"supersedes.seq", "holds trade_statistics records, not certificate")
	// BE cannot write IN's certificate at all, correction or not
	k, _ := tabular.LookupKind("certificates")
	_, err := tabular.ReadTableAs(k, "c.csv", strings.NewReader(certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "9.00", "100.00", "1", "0")), "csv", "BE")
	if err == nil || !strings.Contains(err.Error(), "c.csv:2:issuer") {
		t.Fatalf("a correction in another authority's name: %v", err)
	}
	items := table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "9.00", "100.00", "1", "0"))
	if _, err := be.Import(context.Background(), "certificate", items, []string{"all"}, false); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("BE imports IN's correction: %v", err)
	}
	// the original and its correction in one file
	_, err = tabular.ReadTable(k, "c.csv", strings.NewReader(certHeader+certRow("IN0000005", "IN", "BE", "2026-09-14", "10.00", "100.00", "", "")+
		certRow("IN0000005", "IN", "BE", "2026-09-14", "9.00", "100.00", "2", "0")), "csv")
	if err == nil || !strings.Contains(err.Error(), "c.csv:3:hs_code: certificate IN0000005 already has") {
		t.Fatalf("original and correction in one file: %v", err)
	}
	// a correction of statistics and of a confirmation
	mustImport(t, be, "trade_statistics", table(t, "trade-statistics", stats+"BE,2026-Q3,import,IN,7102.31,90.00,900.00,2,1,0\n"), 1)
	if r := gemRow(t, be, "2026-Q3", "import"); r.Submitted == nil || r.Submitted.Carats.String() != "90.00" {
		t.Fatalf("submitted statistics after their correction: %+v", r)
	}
	conf := "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match,supersedes_seq,supersedes_item\n"
	mustImport(t, be, "import_confirmation", table(t, "confirmations", conf+"IN0000001,IN,1,10.00,Importer,IMP-1,BE,Exporter,EXP-1,IN,2026-09-20,yes,yes,,\n"), 1)
	mustImport(t, be, "import_confirmation", table(t, "confirmations", conf+"IN0000001,IN,1,10.00,Importer,IMP-1,BE,Exporter,EXP-1,IN,2026-10-02,yes,yes,3,0\n"), 1)
	if out, _ := be.Export(protocol.ImportConfirmationType, ExportFilter{}); len(out) != 1 || !bytes.Contains(out[0], []byte("2026-10-02")) {
		t.Fatalf("confirmations exported after a correction: %s", bytes.Join(out, []byte("\n")))
	}
}

// A withdrawn record counts nowhere; publishing it again brings it back.
func TestWithdrawnRecordCountsNowhere(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	ctx := context.Background()
	one := table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "10.00", "100.00", "", ""))
	mustImport(t, in, "certificate", one, 1)
	if _, err := in.Publish(ctx, protocol.WithdrawalType, []byte(`{"version":1,"supersedes":{"seq":5},"reason":"x"}`), []string{"BE"}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("withdrawal of an entry not published: %v", err)
	}
	if _, err := in.Publish(ctx, protocol.WithdrawalType, []byte(`{"version":1,"supersedes":{"seq":1},"reason":"issued by mistake"}`), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	if out, _ := in.Export(protocol.CertificateType, ExportFilter{}); len(out) != 0 {
		t.Fatalf("a withdrawn certificate is exported")
	}
	if r := gemRow(t, in, "2026-Q3", "export"); r.Certificates != 0 {
		t.Fatalf("a withdrawn certificate is counted: %+v", r)
	}
	mustImport(t, in, "certificate", one, 1)
	if r := gemRow(t, in, "2026-Q3", "export"); r.Certificates != 1 {
		t.Fatalf("a certificate published again is not counted: %+v", r)
	}
	// a single published correction is checked as an imported one
	if _, err := in.Publish(ctx, protocol.CertificateType, withSupersedes(t, one[0], 1), []string{"BE"}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("publish of a correction of a withdrawn record: %v", err)
	}
}

// withSupersedes returns a certificate body with "supersedes" set to seq.
func withSupersedes(t *testing.T, body []byte, seq int) []byte {
	t.Helper()
	s := string(body)
	i := strings.LastIndex(s, "}")
	return []byte(fmt.Sprintf(`%s,"supersedes":{"seq":%d,"item":0}}`, s[:i], seq))
}

// Issue 14 point 4: imports count by date of import from the node's own
// confirmations, exports by date of export; the table says where computed
// and submitted figures differ, and notes a quarter with statistics but no
// certificates.
func TestKPStatisticsBasis(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	certs := certHeader +
		certRow("IN0000001", "IN", "BE", "2023-12-01", "100.00", "1000.00", "", "") + // received in December
		certRow("IN0000002", "IN", "BE", "2023-12-02", "200.00", "2000.00", "", "") + // received in December
		certRow("IN0000003", "IN", "BE", "2023-12-20", "400.00", "4000.00", "", "") + // received in January
		certRow("IN0000004", "IN", "BE", "2023-12-21", "800.00", "8000.00", "", "") + // never received
		certRow("IN0000005", "IN", "BE", "2023-09-28", "1600.00", "16000.00", "", "") // shipped and received in October
	mustImport(t, in, "certificate", table(t, "certificates", certs), 5)
	pre := "certificate_number,issuer,carats,value_usd,origin,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,parcels,shipped\n" +
		"IN0000005,IN,1600.00,16000.00,MIXED,Exporter,EXP-1,IN,Importer,IMP-1,BE,1,2023-10-01\n"
	mustImport(t, in, "pre_notification", table(t, "pre-notifications", pre), 1)
	stats := "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n"
	mustImport(t, in, "trade_statistics", table(t, "trade-statistics", stats+"IN,2023-Q2,export,BE,7102.31,50.00,500.00,1\n"), 1)

	if r := gemRow(t, in, "2023-Q4", "export"); r.Certificates != 5 || r.Carats.String() != "3100.00" {
		t.Fatalf("IN's exports in 2023-Q4 (by date of export): %+v", r)
	}
	if r := gemRow(t, in, "2023-Q3", "export"); r.Certificates != 0 {
		t.Fatalf("IN's exports in 2023-Q3 count a certificate shipped in October: %+v", r)
	}
	q2, err := in.KPStatistics(quarter(t, "2023-Q2"))
	if err != nil || len(q2.Rows) != 1 || q2.Rows[0].Submitted == nil || q2.Rows[0].Note == "" ||
		len(q2.Notes) != 1 || !strings.Contains(q2.Notes[0], "no certificate") {
		t.Fatalf("a quarter with statistics but no certificates: %+v, %v", q2, err)
	}

	eventually(t, 30*time.Second, "BE holds IN's certificates", func() error {
		if out, err := be.Export(protocol.CertificateType, ExportFilter{}); err != nil || len(out) != 5 {
			return fmt.Errorf("BE holds %d certificates, %v", len(out), err)
		}
		return nil
	})
	conf := "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match\n"
	confRow := func(n, carats, received string) string {
		return fmt.Sprintf("%s,IN,1,%s,Importer,IMP-1,BE,Exporter,EXP-1,IN,%s,yes,yes\n", n, carats, received)
	}
	mustImport(t, be, "import_confirmation", table(t, "confirmations", conf+confRow("IN0000001", "100.00", "2023-12-05")+
		confRow("IN0000002", "200.00", "2023-12-06")+confRow("IN0000003", "400.00", "2024-01-04")+
		confRow("IN0000005", "1600.00", "2023-10-03")+confRow("IN0000009", "5.00", "2023-11-01")), 5)
	mustImport(t, be, "trade_statistics", table(t, "trade-statistics", stats+"BE,2023-Q4,import,IN,7102.31,1900.00,19500.00,3\n"), 1)

	q4, err := be.KPStatistics(quarter(t, "2023-Q4"))
	if err != nil || len(q4.Rows) != 1 {
		t.Fatalf("BE's 2023-Q4: %+v, %v", q4, err)
	}
	r := q4.Rows[0]
	if r.Flow != "import" || r.Partner != "IN" || r.Certificates != 3 || r.Carats.String() != "1900.00" || r.ValueUSD.String() != "19000.00" {
		t.Fatalf("BE's imports in 2023-Q4 (by date of import): %+v", r)
	}
	if len(r.Differs) != 1 || r.Differs[0] != "value_usd" || !strings.Contains(r.Note, "submitted USD 19500.00") {
		t.Fatalf("computed and submitted value differ silently: %+v", r)
	}
	if len(q4.Notes) != 1 || !strings.Contains(q4.Notes[0], "IN0000009") {
		t.Fatalf("a confirmation of a certificate not held is left out silently: %q", q4.Notes)
	}
	if r := gemRow(t, be, "2024-Q1", "import"); r.Certificates != 1 || r.Carats.String() != "400.00" {
		t.Fatalf("BE's imports in 2024-Q1: %+v", r)
	}
}
