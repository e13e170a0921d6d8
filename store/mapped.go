package store

import (
	"path/filepath"
	"strings"
)

// mappedExts name the files Badger maps whole, shared and read-write, and
// keeps mapped while they are open: the value log, the memtables' logs and
// the tables. Badger writes them by copying into the mapping, so every byte
// it writes stays resident in the process (RSS, file pages) until the
// kernel runs short of memory: on the whole network's hub, BE, 13.6 MiB for
// a year's value log and as much again for each year after
// (docs/performance.md, "The whole network on one box").
var mappedExts = []string{".vlog", ".mem", ".sst"}

// ReleaseMappedPages asks the kernel to take the store's mapped Badger
// files out of this process's resident memory (Linux: MADV_PAGEOUT on each
// of their mappings). Nothing is lost or changed: a page not yet written
// back is written back as before (or taken by a later release), and a
// later read maps its page back in (from the page cache, or from the disk
// once the kernel has dropped it). It reports the bytes of the mappings it advised. An in-memory store has
// no files, and other systems have no such advice: both return 0 and nil.
func (s *Store) ReleaseMappedPages() (int64, error) {
	if s.dir == "" {
		return 0, nil
	}
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return 0, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return releaseMapped(dir)
}

// isBadgerMapped reports whether path, a mapping's file in /proc/self/maps,
// is one of Badger's mapped files directly inside dir.
func isBadgerMapped(path, dir string) bool {
	if filepath.Dir(path) != dir {
		return false
	}
	for _, ext := range mappedExts {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}
