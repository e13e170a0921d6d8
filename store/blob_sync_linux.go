package store

import (
	"os"
	"syscall"
)

// syncData makes the bytes written to f durable: fdatasync, which skips
// the journal commit that f.Sync's fsync makes for the modification time
// alone after every write.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
