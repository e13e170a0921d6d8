package node

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// The phases of an import, in the order they run, as "import_progress"
// events name them (docs/api.md, "Events").
const (
	// PhaseParse is the file's rows read and validated (protocol's table
	// reader, run by the API before the node sees the records); done and
	// total count records.
	PhaseParse = "parse"
	// PhaseCheck is each record decoded, its author checked and its
	// natural key looked up among the records this node holds.
	PhaseCheck = "check"
	// PhasePublish is the new records packed into batch entries, each
	// sealed, signed, stored and pushed; done counts records published.
	PhasePublish = "publish"
)

// importProgressEvery is the least time between two progress events of
// one import within a phase: four a second are enough for a bar to move,
// and a 200,000-row import (about a minute) adds a few hundred events to
// the 4,096 the stream keeps.
const importProgressEvery = 250 * time.Millisecond

// ImportProgress reports one import's progress as "import_progress"
// events on the node's event stream, throttled. It is safe for concurrent
// use; a nil *ImportProgress reports nothing.
type ImportProgress struct {
	events   *eventLog
	id, file string
	now      func() time.Time

	mu    sync.Mutex // guards the fields below
	phase string     // the phase of the last event, "" before the first
	done  int        // done of the last event
	last  time.Time  // when the last event was emitted
}

// NewImportProgress returns the reporter of an import of file. id names
// the import in its events (a client chooses it to follow its own
// import); an empty id gets a random one.
func (n *Node) NewImportProgress(id, file string) *ImportProgress {
	if id == "" {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	return &ImportProgress{events: n.events, id: id, file: file, now: time.Now}
}

// ID returns the id that names the import in its events.
func (p *ImportProgress) ID() string {
	if p == nil {
		return ""
	}
	return p.id
}

// Report says that done of total units of phase are done. It emits an
// event at a phase's first report, when done reaches total, and otherwise
// at most once every importProgressEvery; done never goes back within a
// phase.
func (p *ImportProgress) Report(phase string, done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch {
	case phase != p.phase:
	case done <= p.done:
		return
	case done < total && now.Sub(p.last) < importProgressEvery:
		return
	}
	p.phase, p.done, p.last = phase, done, now
	p.events.emit("import_progress", map[string]any{"import_id": p.id, "file": p.file,
		"phase": phase, "done": done, "total": total})
}
