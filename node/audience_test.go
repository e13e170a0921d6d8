package node

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// certificatesTo returns one certificate of IN to each destination, with
// numbers IN0000001, IN0000002, …
func certificatesTo(t *testing.T, dests ...string) [][]byte {
	t.Helper()
	certs := certificates(t, len(dests))
	for i, d := range dests {
		certs[i] = []byte(strings.Replace(string(certs[i]), `"destination": "BE"`, `"destination": "`+d+`"`, 1))
	}
	return certs
}

// audiences returns the audience of every entry of n's own feed, in order.
func audiences(t *testing.T, n *Node) [][]string {
	t.Helper()
	entries, err := n.Feed("", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, e := range entries {
		out = append(out, e.Audience)
	}
	return out
}

// newestAudit returns the action and details of n's newest audit record.
func newestAudit(t *testing.T, n *Node) (string, string) {
	t.Helper()
	recs, err := n.AuditLog(1)
	if err != nil || len(recs) == 0 {
		t.Fatalf("audit log: %v", err)
	}
	return recs[0].Action, string(recs[0].Details)
}

// TestImportDefaultAudienceFollowsRecords: without --to, each certificate
// goes to its destination only (the README's example sent certificates
// bound for AE, CN and IL to BE); a destination that is not pinned is
// said, and its certificates are read by no partner.
func TestImportDefaultAudienceFollowsRecords(t *testing.T) {
	in, be, ae := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, in, ae)
	ctx := context.Background()
	res, err := in.Import(ctx, "certificate", certificatesTo(t, "BE", "AE", "CN", "BE", "IL", "CN"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got := audiences(t, in)
	if len(got) != 3 || !slices.Equal(got[0], []string{"BE"}) || !slices.Equal(got[1], []string{"AE"}) || len(got[2]) != 0 {
		t.Fatalf("audiences %q, want [BE] [AE] []", got)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "CN (2), IL (1)") || !strings.Contains(res.Warnings[0], "3 records") {
		t.Fatalf("warnings %q", res.Warnings)
	}
}

// TestImportToNonPartyNeedsFlag: naming a partner that is not party to a
// record (--to all, or a code) is refused, nothing written, unless the
// request allows it; then the audit log records it.
func TestImportToNonPartyNeedsFlag(t *testing.T) {
	in, be, ae := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	pin(t, in, be)
	pin(t, in, ae)
	ctx := context.Background()
	certs := certificatesTo(t, "AE", "AE")
	for _, to := range [][]string{{"all"}, {"BE"}, {"AE", "BE"}} {
		_, err := in.Import(ctx, "certificate", certs, to, false)
		if !errors.Is(err, ErrNonParty) || !strings.Contains(err.Error(), "certificate IN/IN0000001 is for AE, not BE") {
			t.Fatalf("to %v: %v, want %v", to, err, ErrNonParty)
		}
		if _, err := in.Import(ctx, "certificate", certs, to, true); !errors.Is(err, ErrNonParty) {
			t.Fatalf("dry run to %v: %v", to, err)
		}
	}
	if got := audiences(t, in); len(got) != 0 {
		t.Fatalf("entries written: %q", got)
	}
	res, err := in.ImportRecords(ctx, ImportRequest{Type: "certificate", Items: certs, To: []string{"all"}, AllowNonParty: true, File: "c.csv"})
	if err != nil || !slices.Equal(res.NonParty, []string{"BE"}) || !slices.Equal(res.Entries[0].Audience, []string{"AE", "BE"}) {
		t.Fatalf("allowed: %+v, %v", res, err)
	}
	if action, details := newestAudit(t, in); action != AuditNonParty || !strings.Contains(details, `"non_party":["BE"]`) {
		t.Fatalf("audit: %s %s", action, details)
	}
}

// TestPublishDefaultAudience: one record without an audience goes to its
// party: a confirmation to the exporting authority, statistics to the
// partner; one to a non-party needs the flag and is audited.
func TestPublishDefaultAudience(t *testing.T) {
	be, in, ae := testNode(t, "BE"), testNode(t, "IN"), testNode(t, "AE")
	pin(t, be, in)
	pin(t, be, ae)
	ctx := context.Background()
	conf, err := os.ReadFile("../docs/examples/import_confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := be.Publish(ctx, "import_confirmation", conf, nil)
	if err != nil || !slices.Equal(p.Audience, []string{"IN"}) {
		t.Fatalf("confirmation: %+v, %v", p, err)
	}
	stats := strings.NewReplacer(`"reporter": "IN"`, `"reporter": "BE"`, `"partner": "BE"`, `"partner": "AE"`).Replace(string(mustRead(t, "../docs/examples/trade_statistics.json")))
	p, err = be.Publish(ctx, "trade_statistics", []byte(stats), nil)
	if err != nil || !slices.Equal(p.Audience, []string{"AE"}) {
		t.Fatalf("statistics: %+v, %v", p, err)
	}
	if _, err := be.Publish(ctx, "trade_statistics", []byte(stats), []string{"IN"}); !errors.Is(err, ErrNonParty) {
		t.Fatalf("statistics to a non-party: %v", err)
	}
	p, err = be.PublishRecord(ctx, PublishRequest{Type: "trade_statistics", Body: []byte(stats), To: []string{"all"}, AllowNonParty: true})
	if err != nil || !slices.Equal(p.NonParty, []string{"IN"}) {
		t.Fatalf("allowed: %+v, %v", p, err)
	}
	if action, details := newestAudit(t, be); action != AuditNonParty || !strings.Contains(details, `"non_party":["IN"]`) {
		t.Fatalf("audit: %s %s", action, details)
	}
	query := mustRead(t, "../docs/examples/anomaly_query.json")
	if _, err := be.Publish(ctx, "anomaly_query", query, nil); !errors.Is(err, ErrNoParty) {
		t.Fatalf("anomaly query without an audience: %v", err)
	}
}

// TestAudienceEUEquivalence: the EU and a Union authority are one
// Participant: a certificate for BE goes to the EU's node where BE is not
// pinned, one for the EU to BE's node; neither is a non-party.
func TestAudienceEUEquivalence(t *testing.T) {
	in, eu := testNode(t, "IN"), testNode(t, "EU")
	pin(t, in, eu)
	ctx := context.Background()
	res, err := in.Import(ctx, "certificate", certificatesTo(t, "BE"), nil, false)
	if err != nil || len(res.Warnings) != 0 || !slices.Equal(res.Entries[0].Audience, []string{"EU"}) {
		t.Fatalf("BE through the EU: %+v, %v", res, err)
	}
	in2, be, de := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "DE")
	pin(t, in2, be)
	pin(t, in2, de)
	res, err = in2.Import(ctx, "certificate", certificatesTo(t, "EU"), []string{"BE"}, false)
	if err != nil || !slices.Equal(res.Entries[0].Audience, []string{"BE"}) {
		t.Fatalf("EU to BE: %+v, %v", res, err)
	}
	// two member states are not one participant
	if _, err := in2.Import(ctx, "certificate", certificatesTo(t, "EU", "BE")[1:], []string{"DE"}, true); !errors.Is(err, ErrNonParty) {
		t.Fatalf("BE's certificate to DE: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
