//go:build nolinkname

package store

import (
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// This file is the build with -tags nolinkname: the store does not reach
// into Badger, and Badger's compactors keep their 50 ms ticker for as long
// as the store is open, idle or not (compaction.go says what that costs).

// compactor is the no-op switch of the nolinkname build: Badger's
// compactors always run. It has the default build's methods so that the
// store calls it the same way in both builds.
type compactor struct{}

// newCompactor returns the switch of db's compactors, which Badger has
// just started and which stay on.
func newCompactor(*badger.DB, func() time.Time) *compactor { return &compactor{} }

// wrote does nothing: the compactors are running.
func (c *compactor) wrote() {}

// state reports that the compactors run and were never switched.
func (c *compactor) state() (running bool, switches uint64) { return true, 0 }

// close does nothing: Badger's Close stops the compactors.
func (c *compactor) close() {}
