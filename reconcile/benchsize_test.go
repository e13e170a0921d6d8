package reconcile

import (
	"fmt"
	"os"
	"testing"
)

// benchSize is how many certificates the benchmarks load: 1,000,000;
// 300,000 with RECONCILE_BENCH_SMALL set; 20,000 with -short (make
// bench-short, which only checks that the benchmarks still run).
func benchSize() int {
	switch {
	case testing.Short():
		return 20_000
	case os.Getenv("RECONCILE_BENCH_SMALL") != "":
		return 300_000
	}
	return 1_000_000
}

// lastConfirmed is the number of the last certificate confirmed: all but
// the last 1,000.
func lastConfirmed(n int) string { return fmt.Sprintf("IN%07d", n-1000) }
