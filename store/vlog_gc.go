package store

import (
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Value-log garbage collection. Entries and records live in Badger's value
// log ([valueThreshold]); a value deleted or overwritten (entries taken out
// by a re-pin, a card or partner rewritten) leaves garbage there that only
// RunValueLogGC reclaims. kpnode deletes little, so a pass every
// vlogGCEvery is plenty; a pass that finds nothing worth rewriting costs a
// look at Badger's discard statistics.
const (
	vlogGCEvery = 10 * time.Minute
	// vlogGCDiscard is the fraction of a value-log file that must be
	// garbage before it is rewritten (Badger's recommended 0.5).
	vlogGCDiscard = 0.5
	// vlogGCMaxRewrites bounds the files rewritten per pass, so that a
	// pass never holds the disk for long.
	vlogGCMaxRewrites = 16
)

// valueLogGC rewrites value-log files that are mostly garbage, every
// vlogGCEvery, until stop is closed; it closes done when it returns. It is
// owned by the Store: started by Open for a store on disk, stopped by
// Close before Badger closes.
func (s *Store) valueLogGC(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(vlogGCEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.collectValueLog(stop)
	}
}

// collectValueLog runs one pass: RunValueLogGC until it finds nothing to
// rewrite, at most vlogGCMaxRewrites times.
func (s *Store) collectValueLog(stop <-chan struct{}) {
	for range vlogGCMaxRewrites {
		select {
		case <-stop:
			return
		default:
		}
		s.compact.wrote() // a rewrite writes: the compactors must run
		err := s.db.RunValueLogGC(vlogGCDiscard)
		switch {
		case err == nil:
			s.logger.Info("value log: rewrote a file that was mostly garbage")
			continue
		case !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected):
			s.logger.Warn("value log garbage collection", "err", err)
		}
		return
	}
}
