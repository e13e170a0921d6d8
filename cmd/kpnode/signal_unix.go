//go:build unix

package main

import (
	"os"
	"syscall"
)

// heapSignal asks a running kpnode for a heap profile (KPNODE_HEAPPROFILE).
var heapSignal os.Signal = syscall.SIGUSR1
