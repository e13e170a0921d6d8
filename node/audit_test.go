package node

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// TestAdminActionsAudited takes every audited action once and checks the
// audit log lists them, newest first, in an unbroken chain.
func TestAdminActionsAudited(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	ctx := context.Background()
	pin(t, in, be)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(in.SetPartnerAddrs("BE", []string{"/ip4/127.0.0.1/tcp/4101"}))
	must(in.PausePartner("BE", true))
	must(in.PausePartner("BE", false))
	must(in.ImportRecords(ctx, ImportRequest{Type: protocol.CertificateType, Items: certificates(t, 3), To: []string{"BE"},
		File: "certs.csv", Format: "csv"}))
	must(in.ImportRecords(ctx, ImportRequest{Type: protocol.CertificateType, Items: certificates(t, 3), To: []string{"BE"}, DryRun: true}))
	must(nil, in.AuditExport(ExportAudit{Kind: "certificates", Format: "csv", File: "-", Records: 3}))
	cert, err := os.ReadFile("../docs/examples/certificate.json")
	must(nil, err)
	must(in.Publish(ctx, protocol.CertificateType, cert, []string{"BE"}))
	fs := in.Findings(reconcile.Query{})
	if len(fs) == 0 {
		t.Fatal("the example certificate raised no finding")
	}
	must(in.AcknowledgeFinding(fs[0].ID, "asked BE"))
	must(nil, in.RemovePartner("BE"))

	log, err := in.AuditLog(0)
	must(nil, err)
	var actions []string
	for _, r := range log {
		actions = append(actions, r.Action)
	}
	want := []string{AuditPartnerRemove, AuditFindingAck, AuditExport, AuditImport, AuditPartnerResume,
		AuditPartnerPause, AuditPartnerAddrs, AuditPartnerAdd}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Fatalf("audit actions %v, want %v (the dry run is not audited)", actions, want)
	}
	for _, s := range []string{`"file":"certs.csv"`, `"new":3`, `"audience":["BE"]`, `"entries":[1]`} {
		if !strings.Contains(string(log[3].Details), s) {
			t.Errorf("import audit details %s lack %s", log[3].Details, s)
		}
	}
	if d := string(log[7].Details); !strings.Contains(d, `"code":"BE"`) || !strings.Contains(d, `"fingerprint":"`+be.id.Public().Fingerprint()) {
		t.Errorf("partner.add details %s", d)
	}
	rep, err := in.VerifyAudit(ctx)
	if err != nil || !rep.OK() || rep.Records != len(want) {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}
}
