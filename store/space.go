package store

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultMinFree is the free space, in bytes, that a store on disk keeps
// in reserve unless [Options.MinFree] says otherwise.
//
// Badger writes through memory-mapped files that it extends sparsely, so
// on a full disk it does not return an error: a write into an unallocated
// page kills the process (SIGBUS), a failed memtable flush is retried
// forever while writers block, and a memtable file that cannot be created
// makes the next write exit the process. The reserve keeps Badger away from
// that edge: it covers the current and the next memtable (about 21 MiB
// each), their flush to a table and a round of compaction.
const DefaultMinFree = 256 << 20

// checkSpace refuses a write while the store's filesystem has less free
// space than the reserve. When the free space cannot be read, the write
// goes ahead.
func (s *Store) checkSpace() error { return s.checkSpaceFor(0) }

// checkSpaceFor refuses a write of n bytes (a blob file, which takes its
// space as its chunks arrive) that would take the store's filesystem
// below the reserve.
func (s *Store) checkSpaceFor(n int64) error {
	if s.minFree <= 0 || s.dir == "" {
		return nil
	}
	free, err := s.freeSpace(s.dir)
	if err != nil {
		s.logger.Debug("cannot read free space", "dir", s.dir, "err", err)
		return nil
	}
	if free < uint64(s.minFree) {
		return fmt.Errorf("%w: %s has %s free, below the reserve of %s; free space on that disk (writes resume at once)",
			ErrFull, s.dir, mib(free), mib(uint64(s.minFree)))
	}
	if free < uint64(s.minFree+n) {
		return fmt.Errorf("%w: %s has %s free, a file of %s would take it below the reserve of %s; free space on that disk",
			ErrFull, s.dir, mib(free), mib(uint64(n)), mib(uint64(s.minFree)))
	}
	return nil
}

// fullError turns Badger's failure to extend a file into [ErrFull]. Badger
// flattens the errors it wraps to strings, so the system error (one of
// fullErrnos, which differ by platform) is recognised by its text when
// errors.Is cannot find it.
func fullError(err error) error {
	if err == nil || errors.Is(err, ErrFull) {
		return err
	}
	for _, full := range fullErrnos {
		if errors.Is(err, full) || strings.Contains(err.Error(), full.Error()) {
			return fmt.Errorf("%w: %v", ErrFull, err)
		}
	}
	return err
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
