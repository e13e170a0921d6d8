package cli

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The daemon returns free heap to the system once it passes releaseAbove,
// looking every ReleaseEvery. Go's background scavenger returns free heap
// slowly and only down to about the collector's goal; after a burst (a load,
// a catch-up, a memtable flush whose 10 MB arena becomes garbage) an idle
// node kept 14 MB of free heap resident, and the 67 nodes of the whole
// network some 900 MB (docs/performance.md, "The whole network on one
// box"). A release is a forced collection (a few ms of CPU on a hub's
// 40 MB heap) and is skipped while little is free.
const releaseAbove = 4 << 20

// ReleaseEvery is how often the daemon looks for free heap to return, on
// a ticker it starts before its API listens. The testnet benchmarks read
// the daemons' memory once each has looked after the check.
const ReleaseEvery = time.Minute

// freeHeapMetric is the runtime's free heap that is still resident: free
// and eligible to be returned to the system, but not yet returned.
const freeHeapMetric = "/memory/classes/heap/free:bytes"

// freeHeap returns the bytes of freeHeapMetric.
func freeHeap() uint64 {
	s := []metrics.Sample{{Name: freeHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// releaseFreeHeap returns the free heap to the system when more than above
// bytes of it are resident, and reports whether it did.
func releaseFreeHeap(above uint64) bool {
	if freeHeap() <= above {
		return false
	}
	debug.FreeOSMemory()
	return true
}

// releaseFreeHeapEvery runs releaseFreeHeap every interval until ctx ends.
func releaseFreeHeapEvery(ctx context.Context, every time.Duration, above uint64) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			releaseFreeHeap(above)
		}
	}
}
