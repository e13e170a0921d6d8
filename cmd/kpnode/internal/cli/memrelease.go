package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The daemon returns free heap to the system once it passes releaseAbove,
// looking every releaseEvery. Go's background scavenger returns free heap
// slowly and only down to about the collector's goal; after a burst (a load,
// a catch-up, a memtable flush whose 10 MB arena becomes garbage) an idle
// node kept 14 MB of free heap resident, and the 67 nodes of the whole
// network some 900 MB (docs/performance.md, "The whole network on one
// box"). A release is a forced collection (a few ms of CPU on a hub's
// 40 MB heap) and is skipped while little is free.
const (
	releaseEvery = time.Minute
	releaseAbove = 4 << 20
)

// The runtime metrics releasableHeap reads: the free heap still resident
// (free and eligible to be returned to the system, but not yet returned),
// the heap's objects (live and dead ones not yet swept), and the live heap
// the last collection marked.
const (
	freeHeapMetric    = "/memory/classes/heap/free:bytes"
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	liveHeapMetric    = "/gc/heap/live:bytes"
)

// releasableHeap returns at most what a collection and a release would give
// back: the free heap, and the objects allocated since the last collection
// (beyond the live heap it marked), garbage the collector has not reached
// yet unless they are still in use. Go collects when the heap reaches its
// goal, half again the live heap at the daemon's GOGC, so an idle node
// kept a burst's garbage resident for minutes (17 MB on the hub BE after a
// second year's load). Allocations that are still live make the estimate
// high: then the release is a collection that returns less, once a minute.
func releasableHeap() uint64 {
	s := []metrics.Sample{{Name: freeHeapMetric}, {Name: heapObjectsMetric}, {Name: liveHeapMetric}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0
		}
	}
	free, objects, live := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	if objects > live {
		free += objects - live
	}
	return free
}

// releaseFreeHeap collects and returns the free heap to the system when
// more than above bytes of heap are releasable, and reports whether it did.
func releaseFreeHeap(above uint64) bool {
	if releasableHeap() <= above {
		return false
	}
	debug.FreeOSMemory()
	return true
}

// mappedPages is the store's release of its mapped files' pages
// ([store.Store.ReleaseMappedPages]).
type mappedPages interface {
	ReleaseMappedPages() (int64, error)
}

// releaseMemoryEvery, every interval until ctx ends, releases the store's
// mapped pages and then the free heap above bytes. The mapped pages are
// Badger's value log, memtable logs and tables, which stay resident as
// written (13.6 MiB a year on the hub BE, growing with every year held);
// the first failure is logged and ends their release, not the heap's.
func releaseMemoryEvery(ctx context.Context, every time.Duration, above uint64, st mappedPages, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if st != nil {
				if _, err := st.ReleaseMappedPages(); err != nil {
					log.Warn("release the store's mapped pages: stopped", "err", err)
					st = nil
				}
			}
			releaseFreeHeap(above)
		}
	}
}
