package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// certTo is a certificate of IN to dest issued on issued.
func certTo(number, dest, issued string) []byte {
	return fmt.Appendf(nil, `{"version":1,"number":%q,"issuer":"IN","issuing_authority":"KP Authority of India","issued":%q,"expires":"2099-01-01",`+
		`"exporter":{"name":"E","licence":"L1","country":"IN"},"importer":{"name":"I","licence":"L2","country":%q},"destination":%q,`+
		`"origin":["MIXED"],"parcels":1,"lines":[{"hs_code":"7102.31","carats":"1.00","value_usd":"100.00"}],"total_carats":"1.00","total_value_usd":"100.00"}`,
		number, issued, dest, dest)
}

// TestDatedPartnerChecks: the checks of a partner's code against the
// participant list read it as of the record's date. VE, removed on
// 2012-07-01: a certificate to it issued the day before goes without a
// word, one issued on the day is flagged (publish and import alike), and
// the partners list shows it is no participant today. SS, joined on
// 2024-01-01: flagged before, not after, and an active partner today;
// TL, joining in 2099, is shown as no participant yet.
func TestDatedPartnerChecks(t *testing.T) {
	in, ve, ss, tl := testNode(t, "IN"), testNode(t, "VE"), testNode(t, "SS"), testNode(t, "TL")
	pin(t, in, ve)
	pin(t, in, ss)
	pin(t, in, tl)
	file := "participant,change,effective,decision,name,kind\n" +
		"VE,removed,2012-07-01,\"Plenary 2011, Final Communiqué ¶6\",,\n" +
		"SS,joined,2024-01-01,Plenary 2023 ¶3,South Sudan,state\n" +
		"TL,joined,2099-01-01,Plenary 2098,Timor-Leste,state\n"
	if _, err := in.ApplyParticipantUpdates(ParticipantUpdatesApply{File: "plenary.csv", Data: []byte(file), By: "test"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		number, dest, issued, warn string
	}{
		{"IN0000001", "VE", "2012-06-30", ""},
		{"IN0000002", "VE", "2012-07-01", "partner VE, which was no active participant on the date filed (VE was removed on 2012-07-01 (Plenary 2011, Final Communiqué ¶6; file plenary.csv row 2))"},
		{"IN0000003", "SS", "2023-12-31", "partner SS, which was no active participant on the date filed (SS is not a participant on 2023-12-31)"},
		{"IN0000004", "SS", "2024-01-01", ""},
	} {
		p, err := in.Publish(ctx, protocol.CertificateType, certTo(tt.number, tt.dest, tt.issued), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.number, err)
		}
		got := strings.Join(p.Warnings, "; ")
		if tt.warn == "" && got != "" || !strings.Contains(got, tt.warn) {
			t.Errorf("%s to %s issued %s: warnings %q, want %q", tt.number, tt.dest, tt.issued, got, tt.warn)
		}
	}
	res, err := in.Import(ctx, protocol.CertificateType, [][]byte{
		certTo("IN0000011", "VE", "2012-01-01"), certTo("IN0000012", "VE", "2013-01-01"), certTo("IN0000013", "VE", "2014-01-01"),
		certTo("IN0000014", "SS", "2025-01-01"), certTo("IN0000015", "SS", "2023-06-01")}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Warnings, "; "); len(res.Warnings) != 2 || !strings.Contains(got, "2 records are sent to partner VE") ||
		!strings.Contains(got, "the record is sent to partner SS, which was no active participant on the date filed (SS is not a participant on 2023-06-01)") {
		t.Errorf("import warnings %q, want one for VE's 2 records after its removal and one for SS's before it joined", got)
	}
	ps, err := in.Partners()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if want := map[string]string{"VE": "VE was removed on 2012-07-01", "SS": "", "TL": "TL is not a participant on"}[p.Code]; want == "" && p.Standing != "" || !strings.Contains(p.Standing, want) {
			t.Errorf("partner %s: standing %q, want %q", p.Code, p.Standing, want)
		}
	}
}
