// Command kpnode runs and operates a Kimberley Process data-sharing node.
// Run "kpnode help" for the commands.
//
// KPNODE_CPUPROFILE=FILE writes a CPU profile of the command to FILE (for
// go tool pprof); docs/performance.md says how the figures were profiled.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
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
	return cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
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
