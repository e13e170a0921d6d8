//go:build !unix

package reconcile

func cpuSeconds() float64 { return 0 }
