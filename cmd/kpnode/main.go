// Command kpnode runs and operates a Kimberley Process data-sharing node.
// Run "kpnode help" for the commands.
//
// KPNODE_CPUPROFILE=FILE writes a CPU profile of the command to FILE (for
// go tool pprof); docs/performance.md says how the figures were profiled.
// KPNODE_HEAPPROFILE=FILE writes a profile of the heap in use (after a
// collection) to FILE each time the process gets SIGUSR1: what a running
// daemon keeps (not on Windows, which has no such signal).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/kpnode/kpnode/cmd/kpnode/internal/cli"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if file := os.Getenv("KPNODE_CPUPROFILE"); file != "" {
		stopProfile, err := startProfile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kpnode: KPNODE_CPUPROFILE: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	if file := os.Getenv("KPNODE_HEAPPROFILE"); file != "" {
		if heapSignal == nil {
			fmt.Fprintln(os.Stderr, "kpnode: KPNODE_HEAPPROFILE: no signal to ask for a profile on this system")
			return 1
		}
		defer heapProfileOnSignal(file)()
	}
	return cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

// heapProfileOnSignal writes a heap profile to file at each heapSignal until
// the returned function is called; it waits for the goroutine it started.
func heapProfileOnSignal(file string) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, heapSignal)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range sig {
			writeHeapProfile(file)
		}
	}()
	return func() { signal.Stop(sig); close(sig); <-done }
}

// writeHeapProfile writes the live heap, after a collection, to file.
func writeHeapProfile(file string) {
	runtime.GC()
	f, err := os.Create(file)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kpnode: KPNODE_HEAPPROFILE: %v\n", err)
	}
}

// startProfile starts a CPU profile written to file; the returned function
// stops it and closes the file.
func startProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile %s: %w", file, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "kpnode: write CPU profile %s: %v\n", file, err)
		}
	}, nil
}
