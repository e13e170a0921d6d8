package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind: every
// Store the tests open must be closed, and Close must stop Badger's
// goroutines.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
