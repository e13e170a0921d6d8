package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseMapped advises MADV_PAGEOUT on every mapping of a Badger file in
// dir. PAGEOUT, not DONTNEED: it is reclaim, safe for any memory. Between
// reading /proc/self/maps and the advice Badger may unmap a file (a table
// compacted away) and the range be mapped again for something else; DONTNEED
// would then zero that memory, PAGEOUT only pages it out (or, for anonymous
// memory without swap, does nothing).
func releaseMapped(dir string) (int64, error) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("read mappings: %w", err)
	}
	var advised int64
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, path, ok := parseMapsLine(sc.Text())
		if !ok || !isBadgerMapped(path, dir) {
			continue
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_PAGEOUT)
		switch {
		case errno == 0:
			advised += int64(end - start)
		case errno == unix.ENOMEM: // unmapped since we read the list
		case errno == unix.EINVAL:
			return advised, fmt.Errorf("advise pageout on %s: %w (Linux before 5.4)", path, errors.ErrUnsupported)
		default:
			return advised, fmt.Errorf("advise pageout on %s: %w", path, errno)
		}
	}
	return advised, sc.Err()
}

// parseMapsLine reads the address range and file of a line of
// /proc/PID/maps ("start-end perms offset dev inode path"); ok is false for
// a line without a file or that does not parse.
func parseMapsLine(line string) (start, end uintptr, path string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || !strings.HasPrefix(f[5], "/") {
		return 0, 0, "", false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, "", false
	}
	a, errA := strconv.ParseUint(lo, 16, 64)
	b, errB := strconv.ParseUint(hi, 16, 64)
	if errA != nil || errB != nil || b <= a {
		return 0, 0, "", false
	}
	return uintptr(a), uintptr(b), strings.Join(f[5:], " "), true
}
