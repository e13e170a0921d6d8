package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := newChain(t)
	entries := c.build(20, "note")
	appendAll(t, s, entries, true)
	fork := c.variant(5, entries[3].Hash(), "fork")
	wantErr(t, s.Append(fork, nil), ErrEquivocation)
	p := testPartner("DE")
	if err := s.PutPartner(p); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta("self/last-append", []byte("20")); err != nil {
		t.Fatal(err)
	}
	before := s.rawKeys(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openDir(t, dir)
	if after := s.rawKeys(t); len(keysAdded(before, after)) > 0 || len(after) != len(before) {
		t.Fatalf("reopened store differs: %d keys before, %d after, changed %q", len(before), len(after), keysAdded(before, after))
	}
	if h, err := s.Head(c.author()); err != nil || h.Seq != 20 || h.Hash != entries[19].Hash() {
		t.Fatalf("head after reopen = %+v, %v", h, err)
	}
	checkRange(t, s, c.author(), 1, 0, entries)
	if v, err := s.GetMeta("self/last-append"); err != nil || string(v) != "20" {
		t.Fatalf("meta after reopen = %q, %v", v, err)
	}
	if eqs, err := s.Equivocations(); err != nil || len(eqs) != 1 {
		t.Fatalf("equivocations after reopen = %v, %v", eqs, err)
	}
	verifyClean(t, s, 1, 20)
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir)
	start := time.Now()
	_, err := Open(Options{Dir: dir})
	wantErr(t, err, ErrLocked)
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("error %q should name the directory and say it is in use", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("second open took %v", d)
	}
	wantErr(t, TamperEntry(dir, newChain(t).author(), 1, 0), ErrLocked)
}

func TestLayoutVersion(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	if err := s.setKey(keyVersion, be32(7)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Dir: dir})
	wantErr(t, err, ErrLayoutVersion)
	if !strings.Contains(err.Error(), "layout 7") || !strings.Contains(err.Error(), fmt.Sprintf("layout %d", layoutVersion)) {
		t.Fatalf("error %q should name both versions", err)
	}
}

func TestLayoutVersionMissing(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.Open(badgerOptions(Options{Dir: dir}))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("something"), nil) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(Options{Dir: dir})
	wantErr(t, err, ErrLayoutVersion)
}

func TestCorruptStore(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	appendAll(t, s, newChain(t).build(3, "note"), true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "MANIFEST")
	if err := os.WriteFile(manifest, []byte("this is not a manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Dir: dir})
	wantErr(t, err, ErrCorrupt)
	t.Logf("corrupt store: %v", err)
}

func TestOptionsValidate(t *testing.T) {
	_, err := Open(Options{})
	wantErr(t, err, ErrInvalid)
	if !strings.Contains(err.Error(), "Dir") {
		t.Fatalf("error %q should name the field", err)
	}
}

func TestClosed(t *testing.T) {
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Close(), ErrClosed)
	_, err = s.Head(newChain(t).author())
	wantErr(t, err, ErrClosed)
	wantErr(t, s.Append(newChain(t).next("note", 10), nil), ErrClosed)
	_, err = s.Verify(t.Context())
	wantErr(t, err, ErrClosed)
}

func TestMeta(t *testing.T) {
	s := openMem(t)
	_, err := s.GetMeta("self/last-append")
	wantErr(t, err, ErrNotFound)
	in := []byte("v1")
	if err := s.PutMeta("self/last-append", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X' // the store copied it
	if v, err := s.GetMeta("self/last-append"); err != nil || string(v) != "v1" {
		t.Fatalf("meta = %q, %v", v, err)
	}
	wantErr(t, s.PutMeta("", nil), ErrInvalid)
	if err := s.DeleteMetaAudited("self/last-append", AuditEvent{Action: "test.delete"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetMeta("self/last-append")
	wantErr(t, err, ErrNotFound)
	if log, err := s.AuditLog(1); err != nil || len(log) != 1 || log[0].Action != "test.delete" {
		t.Fatalf("audit log after the delete: %+v, %v", log, err)
	}
	wantErr(t, s.DeleteMetaAudited("", AuditEvent{Action: "test.delete"}), ErrInvalid)
}

// TestLoggerBridge: Badger's warnings reach our slog logger, its info
// chatter does not, and nothing goes to Badger's default stderr logger.
func TestLoggerBridge(t *testing.T) {
	var buf bytes.Buffer
	l := newBadgerLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	l.Infof("All %d tables opened\n", 3)
	l.Debugf("debug")
	l.Warningf("value log %s truncated\n", "000001.vlog")
	l.Errorf("compaction failed: %v", errors.New("disk full"))
	out := buf.String()
	for _, want := range []string{"level=WARN", "value log 000001.vlog truncated", "level=ERROR", "disk full", "src=badger"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tables opened") || strings.Contains(out, "debug") {
		t.Errorf("info/debug leaked:\n%s", out)
	}
	if o := badgerOptions(Options{InMemory: true}); o.Logger == nil {
		t.Error("badger options carry no logger: badger would print to stderr")
	}
}

func TestStats(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	c := newChain(t)
	entries := c.build(5, "note")
	appendAll(t, s, entries[:3], true)
	appendAll(t, s, entries[3:], false)
	appendAll(t, s, newChain(t).build(2, "note"), false)
	wantErr(t, s.Append(c.variant(1, entries[0].Prev, "fork"), nil), ErrEquivocation)
	for _, code := range []string{"DE", "FR"} {
		if err := s.PutPartner(testPartner(code)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemovePartner("FR"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Feeds: 2, Entries: 7, Records: 3, Partners: 1, RemovedPartners: 1, Equivocations: 1}
	got := st
	got.LSMBytes, got.VlogBytes = 0, 0
	if got != want || st.VlogBytes == 0 {
		t.Fatalf("stats = %+v (%s), want %+v and a value log on disk", st, st, want)
	}
}

func TestSync(t *testing.T) {
	s := openDir(t, t.TempDir())
	appendAll(t, s, newChain(t).build(3, "note"), true)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := openMem(t).Sync(); err != nil {
		t.Fatalf("sync in memory: %v", err)
	}
}
