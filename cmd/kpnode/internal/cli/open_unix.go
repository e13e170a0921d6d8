//go:build unix

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// openNoWait opens path for reading without waiting for a writer: a
// FIFO opened plainly blocks until something opens it to write.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
}
