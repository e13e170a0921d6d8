package trade

import "testing"

func BenchmarkGenerate(b *testing.B) {
	for _, days := range []int{30, 90} {
		o := Options{Participants: five, Links: mesh(five), Days: days, Seed: 1, Anomalies: 12, Now: mustTime("2026-05-14T10:00:00Z")}
		b.Run(map[int]string{30: "5x30d", 90: "5x90d"}[days], func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
