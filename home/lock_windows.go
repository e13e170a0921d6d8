//go:build windows

package home

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the locked byte lies: far past the pid written at
// the start of the file, because a Windows lock is mandatory and would
// stop another process from reading the pid of the holder.
const lockOffset = 1 << 30

// tryLock takes an exclusive lock on one byte of f without waiting
// (LockFileEx): Windows drops it when f is closed or the process dies.
func tryLock(f *os.File) error {
	ol := windows.Overlapped{Offset: lockOffset}
	return windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
}
