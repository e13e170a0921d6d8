package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// An export with corrections moves to a fresh node of the same authority
// only as originals: without the option the import is refused saying
// which option to use; with it every record is published without its
// supersedes (they name entries of the old feed), audited, and importing
// it again, there or into the old node, adds nothing.
func TestImportExportAsOriginals(t *testing.T) {
	old, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, old, be)
	two := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1520.35", "228052.50", "", "") +
		certRow("IN0000002", "IN", "BE", "2026-09-15", "1520.35", "228052.50", "", "")
	mustImport(t, old, "certificate", table(t, "certificates", two), 2)
	mustImport(t, old, "certificate", table(t, "certificates", certHeader+certRow("IN0000002", "IN", "BE", "2026-09-15", "1500.00", "228052.50", "1", "1")), 1)
	exported := table(t, "certificates", exportCSV(t, old, "certificates"))

	fresh := testNode(t, "IN")
	pin(t, fresh, be)
	ctx := context.Background()
	_, err := fresh.ImportRecords(ctx, ImportRequest{Type: protocol.CertificateType, Items: exported, To: []string{"BE"}})
	var ip *ImportProblems
	if !errors.As(err, &ip) || len(ip.Problems) != 1 || !strings.Contains(ip.Problems[0].Reason, "--as-originals") {
		t.Fatalf("import of another node's export with a correction: %v", err)
	}
	res, err := fresh.ImportRecords(ctx, ImportRequest{Type: protocol.CertificateType, Items: exported, To: []string{"BE"}, AsOriginals: true, File: "exported.csv"})
	if err != nil || res.New != 2 || res.AsOriginals != 1 {
		t.Fatalf("import as originals: %+v, %v", res, err)
	}
	self := fresh.id.Public()
	held, _ := fresh.heldRecordsOf(protocol.CertificateType, &self)
	for _, h := range held {
		if h.Value.Replaces() != nil {
			t.Fatalf("a record kept its supersedes: %s", h.Body)
		}
	}
	if r := gemRow(t, fresh, "2026-Q3", "export"); r.Carats.String() != "3020.35" || r.Certificates != 2 {
		t.Fatalf("the fresh node counts %+v, want the old node's current records", r)
	}
	recs, err := fresh.AuditLog(1)
	if err != nil || len(recs) != 1 || recs[0].Action != AuditImport || !strings.Contains(string(recs[0].Details), `"as_originals":1`) {
		t.Fatalf("audit: %+v, %v", recs, err)
	}
	for _, n := range []*Node{fresh, old} {
		res, err := n.ImportRecords(ctx, ImportRequest{Type: protocol.CertificateType, Items: exported, To: []string{"BE"}, AsOriginals: true})
		if err != nil || res.New != 0 {
			t.Fatalf("%s: the same export again, as originals: %+v, %v", n.cfg.Participant, res, err)
		}
	}
}

func TestWithoutMember(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1,"supersedes":{"seq":2,"item":0},"b":"x"}`, `{"a":1,"b":"x"}`},
		{`{"supersedes":{"seq":2},"a":1}`, `{"a":1}`},
		{`{"a":1,"supersedes":{"seq":2}}`, `{"a":1}`},
		{`{"supersedes":{"seq":2}}`, `{}`},
		{`{"a":{"supersedes":1}}`, `{"a":{"supersedes":1}}`},
		{`{ "a" : 1 , "supersedes" : {"seq":2} }`, `{ "a" : 1  }`},
	} {
		got, _, err := withoutMember([]byte(c.in), "supersedes")
		if err != nil || string(got) != c.want {
			t.Errorf("withoutMember(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, _, err := withoutMember([]byte(`[1]`), "supersedes"); err == nil {
		t.Error("an array is not a record")
	}
}
