package testnet

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kpnode/kpnode/testnet/trade"
)

// BenchmarkGenerateKP generates the trade of the whole network
// (--participants kp --topology trade: 67 nodes, 163 links) without
// running a node, for 90, 365 and 730 days with 12 anomalies per 90 days
// (the CLI's default): the cost of `testnet load` before it publishes.
// Besides time and allocations per plan it reports the plan's records
// and the heap the plan holds once generated (plan-MiB), the generator's
// memory that outlives it.
//
//	go test -run '^$' -bench BenchmarkGenerateKP -benchtime 1x -count 1 ./testnet/
func BenchmarkGenerateKP(b *testing.B) {
	parts := KPParticipants()
	links := tradeLinks(1, parts)
	pairs := make([][2]string, len(links))
	for i, l := range links {
		pairs[i] = l
	}
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	for _, days := range []int{90, 365, 730} {
		o := trade.Options{Participants: parts, Links: pairs, Days: days, Seed: 1, Anomalies: 12 * days / 90, Now: now}
		b.Run(fmt.Sprintf("67x%dd", days), func(b *testing.B) {
			b.ReportAllocs()
			var p *trade.Plan
			for b.Loop() {
				var err error
				if p, err = trade.Generate(o); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(len(p.Items)), "records")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "plan-MiB")
			runtime.KeepAlive(p)
		})
	}
}
