package node

import "testing"

func TestEventLogRing(t *testing.T) {
	l := newEventLog()
	evs, missed, _ := l.since(0)
	if len(evs) != 0 || missed {
		t.Fatalf("empty log: %d events, missed %v", len(evs), missed)
	}
	for i := 0; i < eventLogSize+10; i++ {
		l.emit("x", nil)
	}
	evs, missed, _ = l.since(0)
	if !missed || len(evs) != eventLogSize || evs[0].ID != 11 || evs[len(evs)-1].ID != eventLogSize+10 {
		t.Fatalf("since 0: %d events from %d, missed %v", len(evs), evs[0].ID, missed)
	}
	evs, missed, wake := l.since(eventLogSize + 5)
	if missed || len(evs) != 5 || evs[0].ID != eventLogSize+6 {
		t.Fatalf("since recent: %d events, missed %v", len(evs), missed)
	}
	l.emit("y", nil)
	select {
	case <-wake:
	default:
		t.Fatal("waiter not woken by a new event")
	}
	if evs, missed, _ := l.since(11); missed || evs[0].ID != 12 {
		t.Fatalf("since the oldest kept: missed %v first %d", missed, evs[0].ID)
	}
}
