//go:build !nolinkname

package store

import (
	"sync"
	"time"
	_ "unsafe" // go:linkname to Badger's compactor switch, see below

	badger "github.com/dgraph-io/badger/v4"
)

// This file is the default build (without the nolinkname tag): the store
// switches Badger's compactors off when idle (compaction.go says why).
// Badger can only stop and restart its compactors internally (Flatten,
// DropAll and Close do), so the store reaches those two methods by a
// linkname directive; the version is pinned in go.sum, and a Badger
// without them fails the build at link time rather than running without
// compaction.
// Built with -tags nolinkname, compaction_ticker.go replaces this file.

// stopBadgerCompactions is Badger's (*DB).stopCompactions: it waits for a
// compaction in progress, then stops the compactors.
//
//go:linkname stopBadgerCompactions github.com/dgraph-io/badger/v4.(*DB).stopCompactions
func stopBadgerCompactions(db *badger.DB)

// startBadgerCompactions is Badger's (*DB).startCompactions.
//
//go:linkname startBadgerCompactions github.com/dgraph-io/badger/v4.(*DB).startCompactions
func startBadgerCompactions(db *badger.DB)

// Compactor switching. Compaction is only ever needed after a write: a
// commit fills the memtable, a full memtable is flushed to a level-0
// table, and a level whose score (level 0: tables over
// NumLevelZeroTables; others: size over target) reaches 1 is compacted
// into the next. So the compactors run from the first write after a quiet
// spell until the store has been quiet for compactQuiet and no level needs
// compaction; a level that comes to need it while they are stopped (a
// flush finishing after the last write) restarts them at the next check.
const (
	// compactQuiet is how long after the last write the compactors keep
	// running: a burst of writes keeps them on throughout.
	compactQuiet = 10 * time.Second
	// compactCheck is how often the switch looks at the levels.
	compactCheck = 5 * time.Second
)

// compactor switches Badger's compactors on at every write and off once
// the store is quiet and compacted. Its goroutine (loop) is owned by the
// Store: started by Open, stopped by close before Badger closes.
type compactor struct {
	db        *badger.DB
	now       func() time.Time
	done      chan struct{} // closed by close: loop returns
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu        sync.Mutex // guards the fields below and the compactors' state
	running   bool       // Badger's compactors are running (they are at open)
	lastWrite time.Time
	switches  uint64 // stops and starts so far (tests)
}

// newCompactor returns the switch of db's compactors, which Badger has
// just started, and starts its loop. Every write of the store goes through
// Store.update, which calls wrote. The store never calls Badger's Flatten,
// DropAll or DropPrefix: they restart the compactors behind the switch's
// back.
func newCompactor(db *badger.DB, now func() time.Time) *compactor {
	c := &compactor{db: db, now: now, done: make(chan struct{}), running: true, lastWrite: now()}
	c.wg.Add(1)
	go c.loop()
	return c
}

// wrote records a write about to commit and starts the compactors if they
// are stopped, before the write can fill a memtable.
func (c *compactor) wrote() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastWrite = c.now()
	if !c.running {
		startBadgerCompactions(c.db)
		c.running = true
		c.switches++
	}
}

// loop checks every compactCheck until close.
func (c *compactor) loop() {
	defer c.wg.Done()
	t := time.NewTicker(compactCheck)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.check()
		}
	}
}

// check stops the compactors when the store has been quiet for
// compactQuiet and no level needs compaction, and starts them when one
// does.
func (c *compactor) check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	need := needsCompaction(c.db.Levels())
	switch {
	case c.running && !need && c.now().Sub(c.lastWrite) >= compactQuiet:
		stopBadgerCompactions(c.db) // waits for a compaction in progress
		c.running = false
		c.switches++
	case !c.running && need:
		startBadgerCompactions(c.db)
		c.running = true
		c.switches++
	}
}

// state reports whether the compactors run and how many times they were
// switched (tests).
func (c *compactor) state() (running bool, switches uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running, c.switches
}

// close stops the loop and leaves the compactors as they are: Badger's
// Close stops them, running or not.
func (c *compactor) close() {
	c.closeOnce.Do(func() { close(c.done) })
	c.wg.Wait()
}
