//go:build unix

package cli

import "syscall"

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (Go does
// this at start since 1.19; doing it here states the dependency and
// covers a runtime that did not). libp2p's resource manager reads the
// limit when the host starts and takes half; api.MaxConnsFor gives the API
// an eighth; Badger and the node's own files have the rest
// (docs/operations.md, "File descriptors").
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= lim.Max {
		return nil
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// fileLimit is the soft RLIMIT_NOFILE in force (0 when unknown).
func fileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return int(min(lim.Cur, 1<<30))
}
