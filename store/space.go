package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
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

// freeSpace returns the bytes available to this process on dir's
// filesystem.
func freeSpace(dir string) (uint64, error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, err
	}
	return fs.Bavail * uint64(fs.Bsize), nil
}

// checkSpace refuses a write while the store's filesystem has less free
// space than the reserve. When the free space cannot be read, the write
// goes ahead.
func (s *Store) checkSpace() error {
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
	return nil
}

// fullError turns Badger's failure to extend a file into [ErrFull]. Badger
// flattens the errors it wraps to strings, so the system error is
// recognised by its text when errors.Is cannot find it.
func fullError(err error) error {
	if err == nil || errors.Is(err, ErrFull) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error()) || strings.Contains(err.Error(), syscall.EFBIG.Error()) {
		return fmt.Errorf("%w: %v", ErrFull, err)
	}
	return err
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
