//go:build linux

package testnet

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestProcStatsSelf reads this process: the CPU time /proc gives must
// grow as getrusage's does while it spins (on a loaded machine the spin
// gets what the scheduler gives it, so the two are compared, not the wall
// time), and its memory and descriptors must be there.
func TestProcStatsSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("no /proc/PID/smaps_rollup")
	}
	var before NodeStats
	if err := readProcStats(os.Getpid(), &before); err != nil {
		t.Fatal(err)
	}
	start := rusageSeconds(t)
	for deadline := time.Now().Add(30 * time.Second); rusageSeconds(t)-start < 0.3 && time.Now().Before(deadline); {
		spin()
	}
	used := rusageSeconds(t) - start
	var after NodeStats
	if err := readProcStats(os.Getpid(), &after); err != nil {
		t.Fatal(err)
	}
	// /proc counts in 10 ms ticks, sampled: allow a few ticks' difference.
	if grew := after.CPUSeconds - before.CPUSeconds; grew < used-0.05 || grew > used+0.5 {
		t.Errorf("/proc's CPU time grew %.2f s while getrusage's grew %.2f s", grew, used)
	}
	if after.RSSAnonMiB < 1 || after.RSSFileMiB < 1 || after.PSSMiB < 1 || after.PSSMiB > after.RSSMiB()+1 {
		t.Errorf("memory: anon %.1f, file %.1f, PSS %.1f MiB", after.RSSAnonMiB, after.RSSFileMiB, after.PSSMiB)
	}
	if after.OpenFiles < 3 || after.Threads < 1 {
		t.Errorf("open files %d, threads %d", after.OpenFiles, after.Threads)
	}
}

// rusageSeconds is this process's user and system CPU time.
func rusageSeconds(t *testing.T) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// spin keeps a core busy for a moment.
func spin() {
	x := 0
	for i := range 1_000_000 {
		x ^= i
	}
	_ = x
}
