package node

import (
	"context"
	"testing"
)

// TestDeliveryHistory samples a partner that has not received two entries
// and checks the series, its bound, and that a removed partner's series
// goes.
func TestDeliveryHistory(t *testing.T) {
	in, be := newFixture(t, "IN"), newFixture(t, "BE")
	in.start()
	be.start()
	if _, err := in.n.AddPartner(be.card); err != nil {
		t.Fatal(err)
	}
	if _, err := in.n.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := in.n.Publish(context.Background(), "notice", notice(t), []string{"BE"}); err != nil {
			t.Fatal(err)
		}
	}
	for range historyLen + 5 {
		in.n.sampleDelivery()
	}
	h := in.n.DeliveryHistory()
	s := h.Partners["BE"]
	if h.IntervalSeconds != 10 || len(s) != historyLen {
		t.Fatalf("history interval %d, %d samples; want 10, %d", h.IntervalSeconds, len(s), historyLen)
	}
	if last := s[len(s)-1]; last.Undelivered != 2 || last.Connected || last.Behind != 0 {
		t.Fatalf("last sample %+v, want 2 undelivered, not connected", last)
	}
	if err := in.n.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	in.n.sampleDelivery()
	if _, ok := in.n.DeliveryHistory().Partners["BE"]; ok {
		t.Fatal("removed partner still has a series")
	}
}
