//go:build windows

package main

import "os"

// heapSignal is nil: Windows has no signal to ask a running kpnode for a
// heap profile.
var heapSignal os.Signal
