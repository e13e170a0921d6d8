package node

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// rowsOf returns the rows of n's table for q as "flow/partner/hs:carats/certificates",
// with "+submitted carats" where there is one.
func rowsOf(t *testing.T, n *Node, q string) []string {
	t.Helper()
	table, err := n.KPStatistics(quarter(t, q))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range table.Rows {
		s := r.Flow + "/" + r.Partner + "/" + r.HSCode + ":" + r.Carats.String() + "/" + strconv.Itoa(r.Certificates)
		if r.Submitted != nil {
			s += "+" + r.Submitted.Carats.String()
		}
		out = append(out, s)
	}
	return out
}

const statsHeader = "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n"

// Issue 14 point 5, partner level: when this node uses "EU" as the
// partner of a flow and HS code, its trade with every EU authority is
// one "EU" row; when it does not, member states stay apart.
func TestKPStatisticsEUPartnerLevel(t *testing.T) {
	in := testNode(t, "IN")
	pin(t, in, testNode(t, "BE"))
	certs := certHeader +
		certRow("IN0000001", "IN", "BE", "2023-05-10", "100.00", "1000.00", "", "") +
		certRow("IN0000002", "IN", "DE", "2023-05-11", "200.00", "2000.00", "", "") +
		certRow("IN0000003", "IN", "PT", "2023-05-12", "400.00", "4000.00", "", "")
	if res, err := in.Import(context.Background(), "certificate", table(t, "certificates", certs), nil, false); err != nil || res.New != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	want := []string{"export/BE/7102.31:100.00/1", "export/DE/7102.31:200.00/1", "export/PT/7102.31:400.00/1"}
	if got := rowsOf(t, in, "2023-Q2"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("member level: %v, want %v", got, want)
	}
	// IN reports its exports to the Union as one partner.
	mustImport(t, in, "trade_statistics", table(t, "trade-statistics", statsHeader+"IN,2023-Q2,export,EU,7102.31,700.00,7000.00,3\n"), 1)
	table, err := in.KPStatistics(quarter(t, "2023-Q2"))
	if err != nil || len(table.Rows) != 1 {
		t.Fatalf("Union level: %+v, %v", table, err)
	}
	r := table.Rows[0]
	if r.Partner != "EU" || r.Carats.String() != "700.00" || r.Certificates != 3 || r.Submitted == nil || len(r.Differs) != 0 ||
		!strings.Contains(r.Note, "BE, DE, EU, PT") {
		t.Fatalf("Union level row: %+v", r)
	}
}

// Issue 14 point 5, own level: the node of a member-state authority
// counts the certificates and statistics it wrote in the EU's name as its
// own, folded with what it wrote in its own.
func TestKPStatisticsEUOwnLevel(t *testing.T) {
	be := testNode(t, "BE")
	pin(t, be, testNode(t, "IN"))
	certs := certHeader +
		certRow("BE0000001", "BE", "IN", "2023-05-10", "100.00", "1000.00", "", "") +
		certRow("EU0000002", "EU", "IN", "2023-05-11", "200.00", "2000.00", "", "")
	mustImport(t, be, "certificate", table(t, "certificates", certs), 2)
	mustImport(t, be, "trade_statistics", table(t, "trade-statistics", statsHeader+"EU,2023-Q2,export,IN,7102.31,300.00,3000.00,2\n"), 1)
	table, err := be.KPStatistics(quarter(t, "2023-Q2"))
	if err != nil || len(table.Rows) != 1 {
		t.Fatalf("BE's table: %+v, %v", table, err)
	}
	r := table.Rows[0]
	if r.Partner != "IN" || r.Carats.String() != "300.00" || r.Certificates != 2 || r.Submitted == nil || len(r.Differs) != 0 {
		t.Fatalf("BE's exports, as BE and as EU: %+v", r)
	}
	// A member state's node does not count another member state's.
	de := testNode(t, "DE")
	if got := rowsOf(t, de, "2023-Q2"); len(got) != 0 {
		t.Fatalf("DE's table: %v", got)
	}
}
