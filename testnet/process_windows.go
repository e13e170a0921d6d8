//go:build windows

package testnet

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// ownGroup puts a member's process in a process group of its own, so a
// Ctrl-C meant for the caller does not reach it and a CTRL_BREAK can be
// sent to it alone.
func ownGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// interrupt asks process pid to stop: CTRL_BREAK to its process group,
// which Go delivers to the daemon as os.Interrupt.
func interrupt(pid int) error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(pid))
}

// killProcess stops process pid at once (TerminateProcess); a process
// already gone is not an error.
func killProcess(pid int) error {
	h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(pid))
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return nil // no such process
	}
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return windows.TerminateProcess(h, 1)
}

// processRuns reports whether pid is alive. Windows keeps no command
// line of another process to read cheaply, so a reused PID is not told
// apart: the testnet's state file is the only record of it.
func processRuns(pid int, _ string) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == uint32(windows.STATUS_PENDING)
}
