//go:build !unix

package cli

import "os"

// openNoWait opens path for reading (only unix FIFOs wait for a writer
// when opened).
func openNoWait(path string) (*os.File, error) { return os.Open(path) }
