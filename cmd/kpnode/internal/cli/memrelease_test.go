package cli

import (
	"context"
	"runtime"
	"runtime/debug"
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
	before := freeHeap()
	if before < 16<<20 {
		t.Fatalf("free heap after 64 MiB of garbage: %d bytes, want at least 16 MiB for the test to mean something", before)
	}
	if !releaseFreeHeap(4 << 20) {
		t.Fatal("releaseFreeHeap with 4 MiB: nothing released")
	}
	// Not zero: the runtime and the test framework allocate and free
	// meanwhile (3.5 MiB seen on CI), but nowhere near what was freed.
	if after := freeHeap(); after > before/8 {
		t.Fatalf("free heap after the release: %d bytes (before %d), want under an eighth of it", after, before)
	}
	if releaseFreeHeap(1 << 40) {
		t.Fatal("releaseFreeHeap released with less free than its threshold")
	}
}

func TestReleaseFreeHeapEveryStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		releaseFreeHeapEvery(ctx, time.Millisecond, 1<<40)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("releaseFreeHeapEvery still running 10 s after its context ended")
	}
}
