package node

import (
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Event is something operators may want to see as it happens: an entry
// stored, a partner connected or lost, an equivocation. IDs increase
// monotonically for the life of the process.
type Event struct {
	ID     uint64         `json:"id"`
	Time   time.Time      `json:"time"`
	Kind   string         `json:"kind"`
	Fields map[string]any `json:"fields,omitempty"`
}

// eventLogSize bounds the events kept for clients that catch up.
const eventLogSize = 4096

// eventLog keeps the latest events in a ring and wakes waiters. Event id
// i sits at ring[i % eventLogSize].
type eventLog struct {
	mu     sync.Mutex // guards the fields below
	next   uint64     // id of the next event; ids start at 1
	ring   [eventLogSize]Event
	notify chan struct{} // closed and replaced on each event
}

func newEventLog() *eventLog {
	return &eventLog{next: 1, notify: make(chan struct{})}
}

func (l *eventLog) emit(kind string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next%eventLogSize] = Event{ID: l.next, Time: time.Now().UTC(), Kind: kind, Fields: fields}
	l.next++
	close(l.notify)
	l.notify = make(chan struct{})
}

// since returns the events after id, whether some were already dropped from
// the ring, and a channel closed at the next event.
func (l *eventLog) since(id uint64) (evs []Event, missed bool, wake <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	oldest := uint64(1)
	if l.next > eventLogSize {
		oldest = l.next - eventLogSize
	}
	first := max(id+1, oldest)
	for i := first; i < l.next; i++ {
		evs = append(evs, l.ring[i%eventLogSize])
	}
	return evs, id+1 < oldest, l.notify
}

func (l *eventLog) entryStored(feed string, e *protocol.Entry) {
	l.emit("entry_received", map[string]any{"feed": feed, "seq": e.Seq, "type": e.Type, "hash": e.Hash().String()})
}

func (l *eventLog) equivocation(feed string, e *protocol.Entry) {
	l.emit("equivocation", map[string]any{"feed": feed, "seq": e.Seq, "hash": e.Hash().String()})
}

// Events returns the events after id (0 for all kept), whether older events
// were dropped before the client could see them, and a channel that is
// closed when the next event arrives.
func (n *Node) Events(after uint64) ([]Event, bool, <-chan struct{}) { return n.events.since(after) }
