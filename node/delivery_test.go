package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestStatusRecordsNothing: reading the status leaves the delivery state
// as it was; the history sampler alone records the lags that the stall
// report measures from.
func TestStatusRecordsNothing(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	if _, err := in.Publish(context.Background(), "notice", notice(t), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	pid, err := peer.Decode(be.id.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	before := in.delivery.get(pid)
	for range 2 {
		s, err := in.Status()
		if err != nil || len(s.Partners) != 1 || s.Partners[0].Undelivered == 0 {
			t.Fatalf("status: %+v, %v; want BE with undelivered entries", s.Partners, err)
		}
	}
	if after := in.delivery.get(pid); after.lastLag != before.lastLag || !after.lagSince.Equal(before.lagSince) {
		t.Fatalf("Status changed the delivery state: lag %d since %v, was %d since %v",
			after.lastLag, after.lagSince, before.lastLag, before.lagSince)
	}
}

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
