//go:build !linux

package store

// releaseMapped does nothing where there is no MADV_PAGEOUT.
func releaseMapped(string) (int64, error) { return 0, nil }
