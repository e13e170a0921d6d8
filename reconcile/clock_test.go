package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTimerHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var h timerHeap
	slots := make([]*slot, 200)
	want := map[*slot]int64{}
	for i := range slots {
		slots[i] = &slot{}
	}
	for range 5000 {
		sl := slots[rng.IntN(len(slots))]
		if rng.IntN(3) == 0 {
			h.remove(sl)
			delete(want, sl)
		} else {
			at := rng.Int64N(1000) + 1
			h.set(sl, at)
			want[sl] = at
		}
		if len(h) != len(want) {
			t.Fatalf("heap of %d, want %d", len(h), len(want))
		}
		for i, e := range h {
			if e.slot.hpos != i+1 || want[e.slot] != e.at || i > 0 && h[(i-1)/2].at > e.at {
				t.Fatalf("heap invariant broken at %d", i)
			}
		}
	}
	var got []int64
	for len(h) > 0 {
		got = append(got, h[0].at)
		h.remove(h[0].slot)
	}
	if !slices.IsSorted(got) {
		t.Fatal("not popped in order")
	}
}
