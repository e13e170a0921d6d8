//go:build !nolinkname

package store

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the compactor switch.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openSwitchedStore opens a store on disk whose compactor switch reads
// clock and is switched only by the test's calls to check.
func openSwitchedStore(t *testing.T) (*Store, *fakeClock) {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// The test drives the switch with check; the loop, checking every 5 s
	// of real time, would race it (a level filled behind the switch's back
	// was compacted before the test looked).
	s.compact.close()
	clock := &fakeClock{t: time.Now()}
	s.compact.mu.Lock()
	s.compact.now, s.compact.lastWrite = clock.now, clock.now()
	s.compact.mu.Unlock()
	return s, clock
}

// TestCompactorSwitchedOffWhenQuiet: the compactors stop once the store
// has been quiet for compactQuiet with nothing to compact, a write starts
// them again, and what that write needs compacted is compacted.
func TestCompactorSwitchedOffWhenQuiet(t *testing.T) {
	s, clock := openSwitchedStore(t)
	s.compact.check()
	if running, _ := s.compact.state(); !running {
		t.Fatal("compactors stopped right after open")
	}
	clock.add(compactQuiet)
	s.compact.check()
	if running, n := s.compact.state(); running || n != 1 {
		t.Fatalf("after a quiet %s: running %v, switches %d; want stopped, 1", compactQuiet, running, n)
	}
	fillLevelZero(t, s.update)
	if running, n := s.compact.state(); !running || n != 2 {
		t.Fatalf("after writes: running %v, switches %d; want running, 2", running, n)
	}
	waitCompacted(t, s.db)
	s.compact.check() // written just now: stays on
	if running, _ := s.compact.state(); !running {
		t.Fatal("compactors stopped within compactQuiet of a write")
	}
	clock.add(compactQuiet)
	s.compact.check()
	if running, _ := s.compact.state(); running {
		t.Fatal("compactors still running after a quiet spell with nothing to compact")
	}
}

// TestCompactorRestartedWhenALevelNeedsIt: a level that comes to need
// compaction while the compactors are stopped (here: writes behind the
// switch's back, as a memtable flushed after the last write) restarts
// them at the next check, and it is compacted.
func TestCompactorRestartedWhenALevelNeedsIt(t *testing.T) {
	s, clock := openSwitchedStore(t)
	clock.add(compactQuiet)
	s.compact.check()
	if running, _ := s.compact.state(); running {
		t.Fatal("compactors not stopped after a quiet spell")
	}
	fillLevelZero(t, s.db.Update)
	deadline := time.Now().Add(time.Minute)
	for !needsCompaction(s.db.Levels()) { // the last memtables are flushed
		if time.Now().After(deadline) {
			t.Fatalf("level 0 never needed compaction: %+v", s.db.Levels())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, l := range s.db.Levels()[1:] {
		if l.NumTables != 0 {
			t.Fatalf("compacted while the compactors were stopped: %+v", s.db.Levels())
		}
	}
	s.compact.check()
	if running, _ := s.compact.state(); !running {
		t.Fatal("compactors not restarted with a level needing compaction")
	}
	waitCompacted(t, s.db)
}
