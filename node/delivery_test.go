package node

import (
	"context"
	"testing"

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
	before := in.ex.Link(pid)
	for range 2 {
		s, err := in.Status()
		if err != nil || len(s.Partners) != 1 || s.Partners[0].Undelivered == 0 {
			t.Fatalf("status: %+v, %v; want BE with undelivered entries", s.Partners, err)
		}
	}
	if after := in.ex.Link(pid); after.LastLag != before.LastLag || !after.LagSince.Equal(before.LagSince) {
		t.Fatalf("Status changed the delivery state: lag %d since %v, was %d since %v",
			after.LastLag, after.LagSince, before.LastLag, before.LagSince)
	}
}
