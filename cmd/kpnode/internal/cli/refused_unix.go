//go:build unix

package cli

import "golang.org/x/sys/unix"

// errRefused is the system error of a dial that nothing listens for.
var errRefused error = unix.ECONNREFUSED
