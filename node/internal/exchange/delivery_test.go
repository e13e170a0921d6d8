package exchange

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestLagSinceFollowsTheSamples: a lag that has not shrunk since the last
// sample counts from that sample's start; one that shrank, or is zero,
// counts from now.
func TestLagSinceFollowsTheSamples(t *testing.T) {
	d := newDelivery()
	var p peer.ID = "partner"
	t0 := time.Unix(1_800_000_000, 0)
	t1 := t0.Add(time.Minute)
	if got := d.lagSince(p, 5, t1); !got.Equal(t1) {
		t.Fatalf("never sampled: since %v, want now", got)
	}
	d.observeLag(p, 5, t0)
	for _, c := range []struct {
		lag  uint64
		want time.Time
	}{{5, t0}, {7, t0}, {3, t1}, {0, t1}} {
		if got := d.lagSince(p, c.lag, t1); !got.Equal(c.want) {
			t.Errorf("lag %d after a sample of 5 at t0: since %v, want %v", c.lag, got, c.want)
		}
	}
}
