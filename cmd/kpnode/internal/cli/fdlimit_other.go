//go:build !unix

package cli

// raiseFileLimit has no descriptor limit to raise outside Unix.
func raiseFileLimit() error { return nil }

// fileLimit reports a limit that gives the API its default connection cap.
func fileLimit() int { return 1 << 16 }
