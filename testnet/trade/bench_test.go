package trade

import (
	"fmt"
	"testing"
)

// BenchmarkGenerate measures a plan of five nodes in a full mesh with
// twelve anomalies.
func BenchmarkGenerate(b *testing.B) {
	for _, days := range []int{30, 90} {
		o := Options{Participants: five, Links: mesh(five), Days: days, Seed: 1, Anomalies: 12, Now: mustTime(nows[0])}
		b.Run(fmt.Sprintf("5x%dd", days), func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
