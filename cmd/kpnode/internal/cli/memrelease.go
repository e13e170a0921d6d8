package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The daemon returns releasable heap to the system once it passes both
// releaseAbove and a releaseLiveShare-th of the live heap, looking every
// releaseHeapEvery. Go's background scavenger returns free heap slowly and
// only down to about the collector's goal, and the collector lets the heap
// grow to half again the live heap (the daemon's GOGC) before it collects;
// after a burst (a load, a catch-up, a memtable flush whose 10 MB arena
// becomes garbage) an idle node kept 14 MB of free heap resident, and the
// 67 nodes of the whole network some 900 MB (docs/performance.md, "The
// whole network on one box"). A release is a forced collection (a few ms
// of CPU on a hub's 40 MB heap): skipped while little is releasable, and
// under load rarely due, because the collector's own cycles keep the heap
// near its live size. Badger's mapped pages are released every
// ReleaseEvery.
const (
	releaseHeapEvery = 15 * time.Second
	releaseAbove     = 4 << 20
	releaseLiveShare = 4
)

// ReleaseEvery is how often the daemon releases Badger's mapped pages, the
// longest of its release periods, on a ticker it starts before its API
// listens. The testnet benchmarks read the daemons' memory once each has
// released after the check.
const ReleaseEvery = time.Minute

// The runtime metrics heapFigures reads: the free heap still resident
// (free and eligible to be returned to the system, but not yet returned),
// the heap's objects (live and dead ones not yet swept), and the live heap
// the last collection marked.
const (
	freeHeapMetric    = "/memory/classes/heap/free:bytes"
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	liveHeapMetric    = "/gc/heap/live:bytes"
)

// heapFigures returns the live heap the last collection marked and at
// most what a collection and a release would give back (releasable): the
// free heap, and the objects allocated since that collection, garbage the
// collector has not reached yet unless they are still in use. An idle node
// kept a burst's garbage resident for minutes that way (17 MB on the hub
// BE after a second year's load). Allocations still live make the estimate
// high: then the release is a collection that returns less.
func heapFigures() (releasable, live uint64) {
	s := []metrics.Sample{{Name: freeHeapMetric}, {Name: heapObjectsMetric}, {Name: liveHeapMetric}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0, 0
		}
	}
	free, objects, live := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	if objects > live {
		free += objects - live
	}
	return free, live
}

// releasableHeap returns the releasable bytes of [heapFigures].
func releasableHeap() uint64 {
	releasable, _ := heapFigures()
	return releasable
}

// releaseFreeHeap collects and returns the free heap to the system when
// more than above bytes, and more than a releaseLiveShare-th of the live
// heap, are releasable; it reports whether it did. The share keeps a node
// between a quarter and half again its live heap from collecting every
// time it looks.
func releaseFreeHeap(above uint64) bool {
	releasable, live := heapFigures()
	if releasable <= max(above, live/releaseLiveShare) {
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

// releaseMemoryEvery releases the free heap above bytes every interval,
// and the store's mapped pages every mappedEvery, until ctx ends. The
// mapped pages are Badger's value log, memtable logs and tables, which stay
// resident as written (13.6 MiB a year on the hub BE, growing with every
// year held); the first failure is logged and ends their release, not the
// heap's.
func releaseMemoryEvery(ctx context.Context, every, mappedEvery time.Duration, above uint64, st mappedPages, log *slog.Logger) {
	heap, mapped := time.NewTicker(every), time.NewTicker(mappedEvery)
	defer heap.Stop()
	defer mapped.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-mapped.C:
			if st == nil {
				continue
			}
			if _, err := st.ReleaseMappedPages(); err != nil {
				log.Warn("release the store's mapped pages: stopped", "err", err)
				st = nil
			}
		case <-heap.C:
			releaseFreeHeap(above)
		}
	}
}
