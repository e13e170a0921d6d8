package home

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLockExcludesSecondDaemon checks the home's run lock: a second Lock
// while the first is held fails with ErrHomeLocked naming the holder's
// pid, and once the first is released the home can be locked again.
func TestLockExcludesSecondDaemon(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	unlock, err := h.Lock()
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = h.Lock()
	if !errors.Is(err, ErrHomeLocked) {
		unlock()
		t.Fatalf("second lock while held: %v, want ErrHomeLocked", err)
	}
	if pid := strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), "(pid "+pid+")") {
		t.Errorf("second lock's error %q does not name the holder's pid %s", err, pid)
	}
	unlock()
	again, err := h.Lock()
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
