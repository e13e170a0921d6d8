//go:build unix

package store

import "golang.org/x/sys/unix"

// fullErrnos are the system errors of a write to a full disk or past the
// largest file allowed.
var fullErrnos = []error{unix.ENOSPC, unix.EFBIG}

// freeSpace returns the bytes available to this process on dir's
// filesystem (statfs's available blocks: the root reserve excluded).
func freeSpace(dir string) (uint64, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return 0, err
	}
	return uint64(fs.Bavail) * uint64(fs.Bsize), nil
}
