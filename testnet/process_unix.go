//go:build unix

package testnet

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ownGroup puts a member's process in a process group of its own, so a
// Ctrl-C meant for the caller does not reach it.
func ownGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// interrupt asks process pid to stop (SIGINT); a process already gone is
// not an error.
func interrupt(pid int) error { return signalProcess(pid, unix.SIGINT) }

// killProcess stops process pid at once (SIGKILL); a process already gone
// is not an error.
func killProcess(pid int) error { return signalProcess(pid, unix.SIGKILL) }

func signalProcess(pid int, sig unix.Signal) error {
	if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

// processRuns reports whether pid is alive, not a zombie, and a process
// whose command line names home (not a reused PID). Without /proc (macOS)
// it checks only that the pid is alive.
func processRuns(pid int, home string) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) && !procMounted() {
		return unix.Kill(pid, 0) == nil
	}
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && bytes.Contains(cmdline, []byte(home))
}

// procMounted reports whether this system has /proc (Linux does; macOS
// does not).
func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}
