package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestFullDiskRefusesWritesKeepsReads runs a store on disk whose free
// space (as statfs reports it) drops below the reserve and comes back:
// every kind of write fails with ErrFull and writes nothing, reads keep
// working, and writes succeed again once space returns, without reopening.
func TestFullDiskRefusesWritesKeepsReads(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	var free atomic.Uint64
	free.Store(1 << 40)
	s.freeSpace = func(string) (uint64, error) { return free.Load(), nil }
	c := newChain(t)
	appendAll(t, s, c.build(3, "note"), true)

	free.Store(DefaultMinFree - 1)
	next := c.next("note", 64)
	wantErr(t, s.Append(next, recordFor(next)), ErrFull)
	wantErr(t, s.PutMeta("k", []byte("v")), ErrFull)
	_, err := s.AppendAudit(AuditEvent{Action: "export"})
	wantErr(t, err, ErrFull)
	if h, err := s.Head(c.author()); err != nil || h.Seq != 3 {
		t.Fatalf("head while full: %+v, %v; want seq 3", h, err)
	}
	if _, err := s.Entry(c.author(), 2); err != nil {
		t.Fatalf("read while full: %v", err)
	}

	free.Store(DefaultMinFree)
	if err := s.Append(next, recordFor(next)); err != nil {
		t.Fatalf("append once space returned: %v", err)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("verify: %+v, %v", rep.Problems, err)
	}
}

// TestMinFreeOption checks that the reserve is Options.MinFree, that a
// negative value turns the check off and that an in-memory store has none.
func TestMinFreeOption(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want int64
	}{
		{Options{Dir: t.TempDir()}, DefaultMinFree},
		{Options{Dir: t.TempDir(), MinFree: 1 << 62}, 1 << 62},
		{Options{Dir: t.TempDir(), MinFree: -1}, -1},
	} {
		s, err := Open(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.minFree != tc.want {
			t.Errorf("MinFree %d: reserve %d, want %d", tc.opts.MinFree, s.minFree, tc.want)
		}
		err = s.PutMeta("k", []byte("v"))
		if full := tc.want == 1<<62; full != errors.Is(err, ErrFull) {
			t.Errorf("MinFree %d: PutMeta: %v", tc.opts.MinFree, err)
		}
		s.Close()
	}
	if err := openMem(t).PutMeta("k", []byte("v")); err != nil {
		t.Errorf("in memory: %v", err)
	}
}

// TestFullError checks that the operating system's "cannot grow" errors,
// wrapped or flattened to text by Badger, become ErrFull, on every
// platform (fullErrnos is per platform; on Linux ENOSPC and EFBIG).
func TestFullError(t *testing.T) {
	if len(fullErrnos) == 0 {
		t.Fatal("no system error means a full disk on this platform")
	}
	for _, errno := range fullErrnos {
		for _, err := range []error{
			fmt.Errorf("write: %w", errno),
			fmt.Errorf("cannot create new mem table err: %v", errno), // Badger's y.Wrap
		} {
			if !errors.Is(fullError(err), ErrFull) {
				t.Errorf("fullError(%v) is not ErrFull", err)
			}
		}
	}
	if other := errors.New("disk on fire"); fullError(other) != other {
		t.Error("fullError changed an unrelated error")
	}
}

// TestFreeSpaceReadsDisk checks that freeSpace reads a real filesystem
// (statfs, or GetDiskFreeSpaceEx on Windows): a temporary directory has
// some space, and a missing one is an error rather than zero.
func TestFreeSpaceReadsDisk(t *testing.T) {
	free, err := freeSpace(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("freeSpace(temp dir) = %d, %v; want some bytes", free, err)
	}
	if _, err := freeSpace(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("freeSpace of a missing directory: no error")
	}
}

// TestPutMetaInReserve: below the reserve a bookkeeping marker is still
// written (a full disk must not stop a node starting), PutMeta is not,
// and a value longer than a marker is refused.
func TestPutMetaInReserve(t *testing.T) {
	s := openDir(t, t.TempDir())
	s.freeSpace = func(string) (uint64, error) { return DefaultMinFree - 1, nil }
	wantErr(t, s.PutMeta("k", []byte("v")), ErrFull)
	if err := s.PutMetaInReserve("k", []byte("open")); err != nil {
		t.Fatalf("marker in the reserve: %v", err)
	}
	if v, err := s.GetMeta("k"); err != nil || string(v) != "open" {
		t.Fatalf("marker read back %q, %v", v, err)
	}
	wantErr(t, s.PutMetaInReserve("k", make([]byte, 65)), ErrInvalid)
}
