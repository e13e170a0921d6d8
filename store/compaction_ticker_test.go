//go:build nolinkname

package store

import "testing"

// TestCompactorsKeepTheirTicker: built with -tags nolinkname, Badger's
// compactors run from open to close without a switch, so level 0 filled
// by the store's own writes is compacted and no switch is ever thrown.
func TestCompactorsKeepTheirTicker(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillLevelZero(t, s.update)
	waitCompacted(t, s.db)
	if running, n := s.compact.state(); !running || n != 0 {
		t.Fatalf("compactors: running %v, switches %d; want running, never switched", running, n)
	}
}
