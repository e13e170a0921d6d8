//go:build windows

package store

import "golang.org/x/sys/windows"

// fullErrnos are the system errors of a write to a full disk.
var fullErrnos = []error{windows.ERROR_DISK_FULL, windows.ERROR_HANDLE_DISK_FULL}

// freeSpace returns the bytes available to this process on dir's volume
// (GetDiskFreeSpaceEx's free bytes available to the caller: quotas
// applied).
func freeSpace(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}
