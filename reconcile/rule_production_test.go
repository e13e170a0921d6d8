package reconcile

import (
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestProductionSplit: where the producer splits its production, R12
// gives the parts and judges how far short the artisanal part would have
// to be recorded to explain the excess; an all-industrial production
// puts that cause last.
func TestProductionSplit(t *testing.T) {
	for _, tt := range []struct {
		artisanal, industrial string
		first, short          string // the first cause, the shortfall
	}{
		{"400.00", "600.00", "artisanal and alluvial production (400.00 ct, 40.00 % of the half's) recorded short", "20.00"},
		{"0.00", "1000.00", "sales from stock", ""},
		{"", "", "sales from stock", ""},
	} {
		s := newState(t, "BW")
		f := feeds{}
		p := production("BW", "2025-H1", "1000.00", "170000.00")
		if tt.artisanal != "" {
			p.Artisanal = &protocol.ProductionPart{Carats: ct(tt.artisanal), ValueUSD: usd("70000.00")}
			p.Industrial = &protocol.ProductionPart{Carats: ct(tt.industrial), ValueUSD: usd("100000.00")}
		}
		s.Add(f.rec("BW", p))
		s.Add(f.rec("BW", newCert("BW", "BW0000001", "BE", "2025-03-01", line("7102.31", "1600.00", "100000.00")))) // 100 ct above the limit
		g := find(t, ofRule(s.Findings(early), "R12"), "R12/BW/2025-H1")
		_, text, _ := s.Explain(g.ID)
		if g.Numbers["artisanal_shortfall_pct"] != tt.short || g.Numbers["artisanal_carats"] != tt.artisanal {
			t.Errorf("split %q/%q: numbers %v", tt.artisanal, tt.industrial, g.Numbers)
		}
		if !strings.Contains(firstCause(text), tt.first) {
			t.Errorf("split %q/%q: first cause %q, want %q\n%s", tt.artisanal, tt.industrial, firstCause(text), tt.first, text)
		}
		if said := strings.Contains(g.Explanation, "artisanal and alluvial"); said != (tt.short != "") {
			t.Errorf("split %q/%q: explanation %s", tt.artisanal, tt.industrial, g.Explanation)
		}
	}
}

// firstCause returns the first line of an explanation's causes.
func firstCause(text string) string {
	_, rest, _ := strings.Cut(text, "check:\n  - ")
	line, _, _ := strings.Cut(rest, "\n")
	return line
}
