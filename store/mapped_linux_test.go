package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mappedResident returns the resident bytes (Rss in /proc/self/smaps) of
// this process's mappings of Badger's files in dir.
func mappedResident(t *testing.T, dir string) int64 {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ours := false
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4 {
			_, _, path, ok := parseMapsLine(line) // a mapping's header, with or without a file
			ours = ok && isBadgerMapped(path, dir)
			continue
		}
		if kb, found := strings.CutPrefix(line, "Rss:"); found && ours {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(kb, "kB")), 10, 64)
			if err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			total += n << 10
		}
	}
	return total
}

// mappedSize returns the bytes of this process's mappings of Badger's
// files in dir.
func mappedSize(t *testing.T, dir string) int64 {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for line := range strings.SplitSeq(string(maps), "\n") {
		if start, end, path, ok := parseMapsLine(line); ok && isBadgerMapped(path, dir) {
			total += int64(end - start)
		}
	}
	return total
}

// TestReleaseMappedPages: what Badger wrote stays resident in the process
// through its mappings until the store releases them; the release advises
// every mapping of the store's Badger files, after it almost none of what
// was resident is, and every entry still reads back whole.
func TestReleaseMappedPages(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := openDisk(t, dir)
	c := newChain(t)
	for range 300 {
		e := c.next("note", 16<<10) // above valueThreshold: into the value log
		if err := s.Append(e, recordFor(e)); err != nil {
			t.Fatal(err)
		}
	}
	size := mappedSize(t, dir)
	if size < 64<<20 {
		t.Fatalf("Badger's files are mapped for %d bytes, want at least the 64 MiB value log", size)
	}
	before := mappedResident(t, dir)
	if before < 4<<20 {
		t.Fatalf("Badger's files hold %d bytes resident after 4.8 MB of entries, want at least 4 MiB for the test to mean something", before)
	}
	// A page still dirty, or just faulted in and in a CPU's batch on its
	// way to the kernel's lists, is taken by a later release (the daemon's
	// comes every minute).
	after := before
	for deadline := time.Now().Add(10 * time.Second); after > before/8 && time.Now().Before(deadline); {
		advised, err := s.ReleaseMappedPages()
		if err != nil {
			t.Fatal(err)
		}
		if size := mappedSize(t, dir); advised != size {
			t.Fatalf("advised %d bytes of mappings, want all %d of Badger's", advised, size)
		}
		if after = mappedResident(t, dir); after > before/8 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if after > before/8 {
		t.Fatalf("Badger's files hold %d bytes resident after releases for 10 s (before %d), want under an eighth", after, before)
	}
	for _, want := range c.entries {
		got, err := s.Entry(c.author(), want.Seq)
		if err != nil {
			t.Fatalf("entry %d after the release: %v", want.Seq, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("entry %d after the release differs from the one appended", want.Seq)
		}
	}
}

// TestReleaseMappedEvictsPages: pages written through a shared mapping of
// a file named as Badger's value log stay resident until the release, and
// leave after it with their bytes intact. The mapping is MADV_RANDOM so
// that the kernel faults in single pages (no readahead, no large folios),
// and written back first (a dirty page is taken only once it is clean).
func TestReleaseMappedEvictsPages(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 20
	f, err := os.OpenFile(filepath.Join(dir, "000001.vlog"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(data)
	if err := unix.Madvise(data, unix.MADV_RANDOM); err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	for off := 0; off < size; off += page {
		data[off] = byte(off / page)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	before := mappedResident(t, dir)
	if before < size/2 {
		t.Fatalf("%d bytes resident after writing every page of %d, want at least half", before, size)
	}
	after := before
	for deadline := time.Now().Add(10 * time.Second); after > before/8 && time.Now().Before(deadline); {
		if _, err := releaseMapped(dir); err != nil {
			t.Fatal(err)
		}
		if after = mappedResident(t, dir); after > before/8 {
			time.Sleep(100 * time.Millisecond) // pages in a CPU's batch reach the kernel's lists
		}
	}
	if after > before/8 {
		t.Fatalf("%d bytes resident after releases for 10 s (before %d), want under an eighth", after, before)
	}
	for off := 0; off < size; off += page {
		if data[off] != byte(off/page) {
			t.Fatalf("byte at %d after the release: %d, want %d", off, data[off], byte(off/page))
		}
	}
}

// TestReleaseMappedPagesInMemory: an in-memory store has no files to
// release.
func TestReleaseMappedPagesInMemory(t *testing.T) {
	if n, err := openMem(t).ReleaseMappedPages(); n != 0 || err != nil {
		t.Fatalf("ReleaseMappedPages in memory = %d, %v; want 0, nil", n, err)
	}
}

func TestParseMapsLine(t *testing.T) {
	for _, tc := range []struct {
		line       string
		start, end uintptr
		path       string
		ok         bool
	}{
		{"7f0000000000-7f0000400000 rw-s 00000000 fd:01 1234   /d/000001.vlog", 0x7f0000000000, 0x7f0000400000, "/d/000001.vlog", true},
		{"7f0000000000-7f0000001000 rw-s 00000000 fd:01 1234 /a dir/00001.mem", 0x7f0000000000, 0x7f0000001000, "/a dir/00001.mem", true},
		{"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ", 0, 0, "", false},          // anonymous
		{"7ffd0000-7ffe0000 rw-p 00000000 00:00 0 [stack]", 0, 0, "", false},           // no file
		{"zz-7f0000001000 rw-s 00000000 fd:01 1 /d/1.vlog", 0, 0, "", false},           // bad start
		{"7f0000001000-7f0000000000 rw-s 00000000 fd:01 1 /d/1.vlog", 0, 0, "", false}, // end before start
		{"7f0000001000 rw-s 00000000 fd:01 1 /d/1.vlog", 0, 0, "", false},              // no range
		{"", 0, 0, "", false},
	} {
		start, end, path, ok := parseMapsLine(tc.line)
		if start != tc.start || end != tc.end || path != tc.path || ok != tc.ok {
			t.Errorf("parseMapsLine(%q) = %#x, %#x, %q, %v; want %#x, %#x, %q, %v",
				tc.line, start, end, path, ok, tc.start, tc.end, tc.path, tc.ok)
		}
	}
}

func TestIsBadgerMapped(t *testing.T) {
	for path, want := range map[string]bool{
		"/d/000001.vlog":           true,
		"/d/00002.mem":             true,
		"/d/000003.sst":            true,
		"/d/000001.vlog (deleted)": false, // Badger unmaps what it deletes
		"/d/KEYREGISTRY":           false,
		"/d/blobs/000001.vlog":     false, // not Badger's: below its directory
		"/e/000001.vlog":           false,
		"/usr/bin/kpnode":          false,
	} {
		if got := isBadgerMapped(path, "/d"); got != want {
			t.Errorf("isBadgerMapped(%q, /d) = %v, want %v", path, got, want)
		}
	}
}
