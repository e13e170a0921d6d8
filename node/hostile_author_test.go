package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// forgedCertificate is a certificate in BE's name for IN, for an attacker
// whose feed is AE's.
const forgedCertificate = `{"version":1,"number":"BE0000042","issuer":"BE","issuing_authority":"Antwerp Diamond Office",` +
	`"issued":"2026-01-05","expires":"2026-03-05",` +
	`"exporter":{"name":"X BV","licence":"FOD-1","country":"BE"},"importer":{"name":"Y Ltd","licence":"GJ-1","country":"IN"},` +
	`"destination":"IN","origin":["BW"],"parcels":1,` +
	`"lines":[{"hs_code":"7102.31","carats":"100.00","value_usd":"19200.00"}],"total_carats":"100.00","total_value_usd":"19200.00"}`

// TestHostilePeerWritesInAnotherName: a pinned partner (AE) signs, in its
// own feed, a certificate whose issuer is BE and pushes it. IN keeps it as
// evidence (the chain stays whole, the record stays readable), does not
// index it, does not export it nor count it as an import from BE, and
// raises R13 naming AE, BE and the record.
func TestHostilePeerWritesInAnotherName(t *testing.T) {
	in, _, atk := hostileSetup(t)
	ae := atk.id.Public()
	atk.reaches(t, in, ae)
	d := countersOf(in)
	e := atk.recordEntry(t, 1, protocol.Hash{}, protocol.CertificateType, []byte(forgedCertificate),
		[]string{"IN"}, []age.Recipient{in.id.Recipient()})
	atk.publish(t, ae, e.Bytes())
	d.grows(t, "foreign_author_records", 1)
	headIs(t, in, atk, 1)

	if v, err := in.Record("AE", 1); err != nil || !strings.Contains(string(v.Record), `"issuer":"BE"`) {
		t.Fatalf("the forged record is not kept as evidence: %v", err)
	}
	if refs, err := in.st.LookupKey("certificate/BE/BE0000042"); err != nil || len(refs) != 0 {
		t.Fatalf("the forged record is indexed under BE's certificate: %v %v", refs, err)
	}
	if bodies, err := in.Export(protocol.CertificateType, ExportFilter{}); err != nil || len(bodies) != 0 {
		t.Fatalf("export holds %d certificates (%v), want none", len(bodies), err)
	}
	q, _ := protocol.ParseQuarter("2026-Q1")
	if rows, err := in.KPStatistics(q); err != nil || len(rows.Rows) != 0 {
		t.Fatalf("KP statistics count the forged certificate: %+v %v", rows, err)
	}
	eventually(t, 10*time.Second, "R13 raised about AE's record", func() error {
		fs := in.Findings(reconcile.Query{Rule: "R13"})
		if len(fs) != 1 || fs[0].ID != "R13/AE/1/0" || fs[0].Partner != "AE" || fs[0].Numbers["claimed_author"] != "BE" {
			return fmt.Errorf("findings %+v", fs)
		}
		return nil
	})
	if all := in.Findings(reconcile.Query{}); len(all) != 1 {
		t.Fatalf("the forged certificate feeds other rules: %+v", all)
	}

	// A batch of AE's own certificate and a forged one: the own one is
	// indexed and exported, the forged one is evidence.
	own := strings.NewReplacer(`"BE0000042"`, `"AE0000001"`, `"issuer":"BE"`, `"issuer":"AE"`, `"country":"BE"`, `"country":"AE"`).Replace(forgedCertificate)
	batches, err := protocol.PackBatches(protocol.CertificateType, [][]byte{[]byte(own), []byte(forgedCertificate)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	d = countersOf(in)
	e2 := atk.recordEntry(t, 2, e.Hash(), protocol.BatchType, batches[0], []string{"IN"}, []age.Recipient{in.id.Recipient()})
	atk.publish(t, ae, e2.Bytes())
	d.grows(t, "foreign_author_records", 1)
	headIs(t, in, atk, 2)
	if refs, err := in.st.LookupKey("certificate/AE/AE0000001"); err != nil || len(refs) != 1 || refs[0].Item != 0 {
		t.Fatalf("AE's own certificate in the batch is not indexed: %v %v", refs, err)
	}
	if bodies, err := in.Export(protocol.CertificateType, ExportFilter{}); err != nil || len(bodies) != 1 || !strings.Contains(string(bodies[0]), "AE0000001") {
		t.Fatalf("export: %d certificates (%v), want AE's own only", len(bodies), err)
	}
	eventually(t, 10*time.Second, "R13 raised about the batch item", func() error {
		if _, ok := findingIDs(in)["R13/AE/2/1"]; !ok {
			return fmt.Errorf("findings %v", findingIDs(in))
		}
		return nil
	})
}

func findingIDs(n *Node) map[string]bool {
	out := map[string]bool{}
	for _, f := range n.Findings(reconcile.Query{}) {
		out[f.ID] = true
	}
	return out
}

// TestPublishAndImportRefuseAnotherName: this node cannot publish or
// import a record in another authority's name, and says which field.
func TestPublishAndImportRefuseAnotherName(t *testing.T) {
	in := testNode(t, "IN")
	be := testNode(t, "BE")
	pin(t, in, be)
	_, err := in.Publish(t.Context(), protocol.CertificateType, []byte(strings.Replace(forgedCertificate, `"destination":"IN"`, `"destination":"AE"`, 1)), []string{"BE"})
	if err == nil || !strings.Contains(err.Error(), `field "issuer" names BE`) {
		t.Fatalf("publish in BE's name: %v", err)
	}
	stats := `{"version":1,"reporter":"BE","period":"2026-Q1","flow":"export","partner":"IN","hs_code":"7102.31","carats":"5.00","value_usd":"500.00","certificates":1}`
	_, err = in.Import(t.Context(), protocol.TradeStatisticsType, [][]byte{[]byte(stats)}, []string{"BE"}, false)
	if err == nil || !strings.Contains(err.Error(), `record 1: field "reporter" names BE`) {
		t.Fatalf("import in BE's name: %v", err)
	}
	if h, _ := in.st.Head(in.id.Public()); h.Seq != 0 {
		t.Fatalf("IN's feed has %d entries, want none", h.Seq)
	}
}
