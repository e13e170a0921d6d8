//go:build unix

package blobxfer

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used: both
// hosts of a benchmark run in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
