//go:build unix

package reconcile

import "syscall"

// cpuSeconds returns the CPU time of the process so far, user and system,
// including the garbage collector's workers.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
