package node

import (
	"context"
	"testing"
	"time"
)

// TestPauseStopsFlowAndResumeCatchesUp: while IN has paused BE, the two
// are disconnected and stay so (neither side can reconnect) and BE misses
// IN's entries; the pause survives a restart of IN; after resume, BE
// catches up.
func TestPauseStopsFlowAndResumeCatchesUp(t *testing.T) {
	in, be := newFixture(t, "IN"), newFixture(t, "BE")
	in.start()
	be.start()
	pinBoth(t, in, be)
	eventually(t, 30*time.Second, "IN and BE connected", func() error { return connect(be.n, in.n) })
	if _, err := in.n.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	if !connectedWithin(in.n, be.n, 10*time.Second, false) {
		t.Fatal("still connected after pause")
	}
	_ = connect(be.n, in.n) // may complete on BE's side before IN refuses it
	if !connectedWithin(be.n, in.n, 10*time.Second, false) {
		t.Fatal("BE stays connected to IN while paused")
	}
	in.stop()
	in.start()
	if st, err := in.n.Status(); err != nil || !st.Partners[0].Paused {
		t.Fatalf("pause lost on restart: %+v %v", st.Partners, err)
	}
	for range 3 {
		if _, err := in.n.Publish(context.Background(), "notice", notice(t), []string{"BE"}); err != nil {
			t.Fatal(err)
		}
	}
	if connectedWithin(in.n, be.n, 2*time.Second, true) {
		t.Fatal("paused partner connected")
	}
	if err := holds(be.n, "IN", 0); err != nil {
		t.Fatalf("BE received entries while paused: %v", err)
	}
	if _, err := in.n.PausePartner("BE", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "BE catches up after resume", func() error { return holds(be.n, "IN", 3) })
}
