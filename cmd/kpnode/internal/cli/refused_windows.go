//go:build windows

package cli

import "golang.org/x/sys/windows"

// errRefused is the system error of a dial that nothing listens for
// (Winsock's, whose text does not say "connection refused").
var errRefused error = windows.WSAECONNREFUSED
