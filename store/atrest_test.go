package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const plainMarker = "KP-PLAINTEXT-MARKER-7f3a"

// fillMarked appends n entries whose records carry plainMarker.
func fillMarked(t *testing.T, s *Store, n int) *chain {
	t.Helper()
	c := newChain(t)
	for _, e := range c.build(n, "note") {
		body := fmt.Appendf(nil, `{"seq":%d,"remark":"%s %s"}`, e.Seq, plainMarker, strings.Repeat("x", 512))
		if err := s.Append(e, &Record{Type: e.Type, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// filesContain reports the files under dir that contain s.
func filesContain(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if bytes.Contains(b, []byte(s)) {
			hits = append(hits, filepath.Base(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestEncryptedStoreAtRest(t *testing.T) {
	key := bytes.Repeat([]byte{7}, EncryptionKeySize)
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	c := fillMarked(t, s, 300)
	if err := s.Close(); err != nil { // flushes the memtable: SSTs exist
		t.Fatal(err)
	}
	if !slicesHasSuffix(t, dir, ".sst") {
		t.Fatal("no .sst file after close: the reopen below would not exercise the index cache")
	}
	// Reopen twice: without the index cache the second open after SSTs
	// exist panics (LIBRARIES.md 3.2).
	for i := range 2 {
		s, err = Open(Options{Dir: dir, EncryptionKey: key})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if h, err := s.Head(c.author()); err != nil || h.Seq != 300 {
			t.Fatalf("reopen %d: head %+v, %v; want seq 300", i, h, err)
		}
		fillMarked(t, s, 1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if hits := filesContain(t, dir, plainMarker); len(hits) > 0 {
		t.Errorf("plaintext of a record found in %v", hits)
	}
	for name, k := range map[string][]byte{"no key": nil, "another key": bytes.Repeat([]byte{8}, EncryptionKeySize)} {
		if s, err := Open(Options{Dir: dir, EncryptionKey: k}); !errors.Is(err, ErrEncryptionKey) {
			if s != nil {
				s.Close()
			}
			t.Errorf("open with %s: %v, want ErrEncryptionKey", name, err)
		}
	}
}

func TestPlaintextStoreShowsRecords(t *testing.T) {
	// The control for TestEncryptedStoreAtRest: the marker search finds
	// plaintext when there is some.
	dir := t.TempDir()
	s := openDir(t, dir)
	fillMarked(t, s, 20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if hits := filesContain(t, dir, plainMarker); len(hits) == 0 {
		t.Error("the marker is not found in a plaintext store: the search cannot fail")
	}
	if _, err := Open(Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{7}, 32)}); !errors.Is(err, ErrEncryptionKey) {
		t.Errorf("open a plaintext store with a key: %v, want ErrEncryptionKey", err)
	}
	if _, err := Open(Options{Dir: dir, EncryptionKey: []byte("short")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("open with a 5-byte key: %v, want ErrInvalid", err)
	}
}

func slicesHasSuffix(t *testing.T, dir, suffix string) bool {
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasSuffix(n.Name(), suffix) {
			return true
		}
	}
	return false
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	src := openMem(t)
	c := fillMarked(t, src, 50)
	if err := src.PutMeta(StoreIDMeta, []byte("0123abcd")); err != nil {
		t.Fatal(err)
	}
	if _, err := src.AppendAudit(AuditEvent{Action: "partner.add"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := src.Backup(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 50 || info.Records != 50 || info.Feeds != 1 || info.Audit != 1 || info.StoreID != "0123abcd" ||
		info.Layout != layoutVersion || info.StreamSize != int64(buf.Len()) {
		t.Fatalf("backup info %+v", info)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	key := bytes.Repeat([]byte{9}, EncryptionKeySize)
	got, err := Restore(Options{Dir: dir, EncryptionKey: key}, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Keys != info.Keys || got.Entries != info.Entries || got.StoreID != info.StoreID {
		t.Fatalf("restored %+v, backed up %+v", got, info)
	}
	s, err := Open(Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != 50 || rep.AuditRecords != 1 {
		t.Fatalf("verify restored: %+v, %v", rep, err)
	}
	// Writes after the restore are visible: Badger's timestamps moved past
	// the loaded versions.
	e := c.next("note", 64)
	if err := s.Append(e, recordFor(e)); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Head(c.author()); err != nil || h.Seq != 51 {
		t.Fatalf("head after a new append: %+v, %v", h, err)
	}
	if _, err := Restore(Options{Dir: dir, EncryptionKey: key}, bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrBackup) {
		t.Errorf("restore into a directory that holds a store: %v, want ErrBackup", err)
	}
}

func TestRestoreRefusesMalformedStreams(t *testing.T) {
	src := openMem(t)
	fillMarked(t, src, 5)
	var buf bytes.Buffer
	if _, err := src.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	cases := map[string]struct {
		stream []byte
		want   error
	}{
		"huge frame length": {append(huge, 1, 2, 3), ErrBackup},
		"truncated frame":   {buf.Bytes()[:buf.Len()-3], ErrBackup},
		"truncated length":  {append(bytes.Clone(buf.Bytes()), 1, 2), ErrBackup},
		"empty":             {nil, ErrBackup},
		"garbage frame":     {append(binary.LittleEndian.AppendUint64(nil, 4), 0xff, 0xff, 0xff, 0xff), ErrBackup},
	}
	for name, tc := range cases {
		dir := filepath.Join(t.TempDir(), "s")
		if _, err := Restore(Options{Dir: dir}, bytes.NewReader(tc.stream)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
