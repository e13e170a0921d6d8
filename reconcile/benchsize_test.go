package reconcile

import "os"

func init() {
	if os.Getenv("RECONCILE_BENCH_SMALL") != "" {
		benchCertificates = 300_000
	}
}
