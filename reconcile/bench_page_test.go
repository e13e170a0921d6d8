package reconcile

import (
	"testing"
	"time"
)

// BenchmarkFindingsPage reads pages of 100 findings from a State holding
// BenchmarkStateMemory's load (100,000 certificates, 146,390 findings, R2
// and R8), as the node serves /api/findings: the heads from State.Each,
// and each finding described by State.Finding (page_us). The baseline,
// in the same run, is the same pages' heads alone (heads_us): what a page
// cost before findings were described when read, less copying their text.
// The pages are spread over the whole list.
func BenchmarkFindingsPage(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	s, err := NewState(DefaultConfig(), "IN", DefaultUnitValues())
	if err != nil {
		b.Fatal(err)
	}
	s.AddAll(importYear(n))
	now := at("2026-12-07")
	var starts []string
	for i, f := range s.Findings(now) {
		if i%997 == 0 {
			starts = append(starts, f.ID)
		}
	}
	page := func(after string, describe bool) {
		got := 0
		s.Each(now, Scope{}, after, func(f *Finding) bool {
			if describe {
				if _, ok := s.Finding(f.ID); !ok {
					b.Fatalf("finding %s not found", f.ID)
				}
			}
			got++
			return got < 100
		})
	}
	var heads, pages time.Duration
	for b.Loop() {
		for _, after := range starts {
			t0 := time.Now()
			page(after, false)
			t1 := time.Now()
			page(after, true)
			heads, pages = heads+t1.Sub(t0), pages+time.Since(t1)
		}
	}
	runs := float64(b.N * len(starts))
	b.ReportMetric(float64(pages.Microseconds())/runs, "page_us")
	b.ReportMetric(float64(heads.Microseconds())/runs, "heads_us")
	b.ReportMetric(float64(pages)/float64(heads), "page/heads")
}
