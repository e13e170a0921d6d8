package cli

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"testing"
	"time"
)

// garbage allocates n bytes in 64 KiB pieces and drops them, then collects,
// leaving the heap they took free but resident.
func garbage(n int) {
	keep := make([][]byte, 0, n>>16)
	for range n >> 16 {
		b := make([]byte, 64<<10)
		b[0], b[len(b)-1] = 1, 1 // touch: resident
		keep = append(keep, b)
	}
	runtime.KeepAlive(keep)
	keep = nil
	runtime.GC()
}

// holdFreeHeap keeps the runtime's background scavenger off the free heap
// for the rest of the test: it returns free heap at its own pace toward a
// goal derived from GOGC, and on a loaded machine it was seen returning
// 55 of garbage's 64 MiB before the test read it (and it could as well do
// releaseFreeHeap's work for it). With GOGC off it left the free heap
// alone until the next collection in 300 runs under the same load, and
// garbage still collects, by calling runtime.GC.
func holdFreeHeap(t *testing.T) {
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

func TestReleaseFreeHeap(t *testing.T) {
	holdFreeHeap(t)
	garbage(64 << 20)
	before := releasableHeap()
	if before < 16<<20 {
		t.Fatalf("free heap after 64 MiB of garbage: %d bytes, want at least 16 MiB for the test to mean something", before)
	}
	if !releaseFreeHeap(4 << 20) {
		t.Fatal("releaseFreeHeap with 4 MiB: nothing released")
	}
	// Not zero: the runtime and the test framework allocate and free
	// meanwhile (3.5 MiB seen on CI), but nowhere near what was freed.
	if after := releasableHeap(); after > before/8 {
		t.Fatalf("free heap after the release: %d bytes (before %d), want under an eighth of it", after, before)
	}
	if releaseFreeHeap(1 << 40) {
		t.Fatal("releaseFreeHeap released with less free than its threshold")
	}
}

// TestReleaseUncollectedGarbage: garbage the collector has not reached yet
// counts as releasable. After a load a hub idled with its heap short of the
// collector's goal (half again its live heap): 17 MB of dead objects on
// BE, resident for minutes, that the free heap alone did not show.
func TestReleaseUncollectedGarbage(t *testing.T) {
	runtime.GC()
	debug.FreeOSMemory()
	old := debug.SetGCPercent(-1) // no collection: the garbage stays uncollected
	defer debug.SetGCPercent(old)
	keep := make([][]byte, 0, 1024)
	for range 1024 {
		b := make([]byte, 64<<10)
		b[0], b[len(b)-1] = 1, 1
		keep = append(keep, b)
	}
	runtime.KeepAlive(keep)
	keep = nil
	before := releasableHeap()
	if before < 32<<20 {
		t.Fatalf("releasable heap with 64 MiB of uncollected garbage: %d bytes, want at least 32 MiB", before)
	}
	if !releaseFreeHeap(4 << 20) {
		t.Fatal("releaseFreeHeap with 4 MiB: nothing released")
	}
	if after := releasableHeap(); after > before/8 {
		t.Fatalf("releasable heap after the release: %d bytes (before %d), want under an eighth of it", after, before)
	}
}

// sink makes what the tests allocate escape to the heap.
var sink []byte

// TestReleaseFollowsLiveHeap: a node does not collect while what it could
// release is a small share of its live heap, and does once it is more.
func TestReleaseFollowsLiveHeap(t *testing.T) {
	live := make([][]byte, 0, 1024)
	for range 1024 {
		live = append(live, make([]byte, 64<<10)) // 64 MiB live
	}
	runtime.GC()
	debug.FreeOSMemory()
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	drop := func(n int) {
		for range n >> 16 {
			sink = make([]byte, 64<<10) // on the heap: the package variable keeps the last
			sink[0], sink[len(sink)-1] = 1, 1
		}
	}
	drop(8 << 20)
	if releaseFreeHeap(4 << 20) {
		t.Fatalf("released with %d bytes releasable against %d live, want no release under a quarter of the live heap", releasableHeap(), 64<<20)
	}
	drop(24 << 20)
	if !releaseFreeHeap(4 << 20) {
		t.Fatalf("no release with %d bytes releasable against %d live, want one above a quarter", releasableHeap(), 64<<20)
	}
	runtime.KeepAlive(live)
}

func TestReleaseMemoryEveryStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		releaseMemoryEvery(ctx, time.Millisecond, time.Millisecond, 1<<40, nil, slog.New(slog.DiscardHandler))
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("releaseMemoryEvery still running 10 s after its context ended")
	}
}

// countingPages counts the releases asked of it and fails them with err.
type countingPages struct {
	calls atomic.Int32
	err   error
}

func (p *countingPages) ReleaseMappedPages() (int64, error) {
	p.calls.Add(1)
	return 0, p.err
}

// TestReleaseMemoryEveryMappedPages: the loop releases the store's mapped
// pages at every tick; after a failure it stops asking, and keeps running.
func TestReleaseMemoryEveryMappedPages(t *testing.T) {
	run := func(p *countingPages) (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			releaseMemoryEvery(ctx, time.Hour, time.Millisecond, 1<<40, p, slog.New(slog.DiscardHandler))
		}()
		return func() { cancel(); <-done }
	}
	ok := &countingPages{}
	stop := run(ok)
	deadline := time.Now().Add(10 * time.Second)
	for ok.calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if n := ok.calls.Load(); n < 3 {
		t.Fatalf("mapped pages released %d times in 10 s at a 1 ms interval, want at least 3", n)
	}

	failing := &countingPages{err: errors.New("advise pageout: not supported")}
	stop = run(failing)
	deadline = time.Now().Add(10 * time.Second)
	for failing.calls.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // some 50 more ticks, to see that none asks again
	stop()
	if n := failing.calls.Load(); n != 1 {
		t.Fatalf("a failing release was asked %d times, want once", n)
	}
}
