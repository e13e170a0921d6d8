package reconcile

import (
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// based returns a trade row with a date basis and, when rate is given, a
// conversion from currency at that date.
func based(row *protocol.TradeStatistics, basis, currency, rate string) *protocol.TradeStatistics {
	row.DateBasis = basis
	if rate != "" {
		row.Currency, row.ValueOriginal, row.ExchangeRateDate = currency, protocol.Money(row.ValueUSD), day(rate)
	}
	return row
}

// mirrorOf raises R9 on a 30 % value-only gap between IN's exports and
// BE's imports, the rows stating what the arguments give, and returns
// the finding and its explained causes.
func mirrorOf(t *testing.T, expBasis, expCur, expRate, impBasis, impCur, impRate string) (Finding, string) {
	t.Helper()
	s := newState(t, "IN", func(c *Config) { c.MirrorLagRetry = false })
	f := feeds{}
	addAll(s,
		f.rec("IN", based(trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10), expBasis, expCur, expRate)),
		f.rec("BE", based(trade("BE", "2025-Q3", imp, "IN", "7102.31", "1000.00", "70000.00", 10), impBasis, impCur, impRate)),
	)
	g := find(t, ofRule(s.Findings(mirrorNow), "R9"), "R9/IN/BE/2025-Q3/7102.31")
	_, text, ok := s.Explain(g.ID)
	if !ok {
		t.Fatal("no explanation")
	}
	return g, text
}

func TestMirrorDateBasis(t *testing.T) {
	for _, tt := range []struct {
		exp, imp string
		mismatch bool
	}{
		{protocol.BasisCertificateDate, protocol.BasisImportDate, true},
		{protocol.BasisExportDate, protocol.BasisCertificateDate, true},
		{protocol.BasisExportDate, protocol.BasisImportDate, false},
		{protocol.BasisCertificateDate, protocol.BasisCertificateDate, false},
		{protocol.BasisExportDate, "", false}, // the importer states none
		{"", "", false},
	} {
		g, text := mirrorOf(t, tt.exp, "", "", tt.imp, "", "")
		said := strings.Contains(g.Explanation, "date basis differs")
		if said != tt.mismatch || (g.Numbers["date_basis_mismatch"] == "true") != tt.mismatch {
			t.Errorf("exporter %q, importer %q: mismatch said %v, want %v: %s %v", tt.exp, tt.imp, said, tt.mismatch, g.Explanation, g.Numbers)
		}
		if g.Numbers["exporter_date_basis"] != tt.exp || g.Numbers["importer_date_basis"] != tt.imp {
			t.Errorf("exporter %q, importer %q: numbers %v", tt.exp, tt.imp, g.Numbers)
		}
		if stated := tt.exp != "" || tt.imp != ""; strings.Contains(text, "date basis:") != stated {
			t.Errorf("exporter %q, importer %q: date basis among the causes %v, want %v:\n%s", tt.exp, tt.imp, !stated, stated, text)
		}
		if tt.mismatch && !strings.Contains(g.Explanation, "IN counts its exports by "+strings.ReplaceAll(tt.exp, "_", " ")) {
			t.Errorf("the mismatch does not name IN's basis: %s", g.Explanation)
		}
	}
}

func TestMirrorExchangeRateDates(t *testing.T) {
	g, _ := mirrorOf(t, "", "INR", "2025-09-30", "", "EUR", "2025-10-15")
	if !strings.Contains(g.Explanation, "exchange rates of different dates: IN from INR 2025-09-30, BE from EUR 2025-10-15") {
		t.Errorf("differing dates not named: %s", g.Explanation)
	}
	g, text := mirrorOf(t, "", "INR", "2025-09-30", "", "EUR", "2025-09-30")
	if strings.Contains(g.Explanation, "different dates") || !strings.Contains(text, "same dates") {
		t.Errorf("same dates: %s\n%s", g.Explanation, text)
	}
	g, _ = mirrorOf(t, "", "INR", "2025-09-30", "", "", "")
	if strings.Contains(g.Explanation, "different dates") || g.Numbers["exporter_exchange_rates"] != "INR 2025-09-30" {
		t.Errorf("one side stating a rate: %s %v", g.Explanation, g.Numbers)
	}
}
