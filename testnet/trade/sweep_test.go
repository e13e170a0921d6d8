package trade

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRandomTopologies checks plans of random participants (the EU, an EU
// authority, Venezuela and producers among them), random links, windows,
// volumes, times of the load and numbers of anomalies.
func TestRandomTopologies(t *testing.T) {
	pool := []string{"AE", "AO", "AU", "BE", "BW", "CA", "CD", "CN", "IL", "IN", "JP", "LS", "NA", "RU", "SG", "SL", "TH", "US", "ZA", "ZW", "EU", "DE", "CF", "VE", "CI"}
	r := rand.New(rand.NewPCG(99, 1))
	base := mustTime("2025-01-01T00:00:00Z")
	for i := range 8 {
		var parts []string
		for _, j := range r.Perm(len(pool))[:2+r.IntN(7)] {
			parts = append(parts, pool[j])
		}
		links := [][2]string{{parts[0], parts[1]}}
		for a := range parts {
			for b := max(a+1, 2); b < len(parts); b++ {
				if r.Float64() < 0.6 {
					links = append(links, [2]string{parts[a], parts[b]})
				}
			}
		}
		now := base.Add(time.Duration(r.Int64N(int64(730 * 24 * time.Hour))))
		o := Options{Participants: parts, Links: links, Days: 1 + r.IntN(90), Seed: int64(i), Anomalies: r.IntN(50), Now: now, Scale: 0.5 + r.Float64()*2}
		t.Run(fmt.Sprint(parts, " ", now.Format(time.DateOnly)), func(t *testing.T) {
			if !tradeable(parts[0], parts[1], parts) {
				o.Anomalies = 0
			}
			checkPlan(t, mustGenerate(t, o))
		})
	}
}
