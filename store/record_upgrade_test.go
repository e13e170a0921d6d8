package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/protocol"
)

// fillRecords appends n entries to a new chain with records: batches of
// rows (with a salt) on odd seqs, tiny notices on even ones.
func fillRecords(tb testing.TB, s *Store, n int) *chain {
	tb.Helper()
	c := newChain(tb)
	for i := range n {
		e := c.next("batch", 64)
		rec := &Record{Body: batchBody(5 + i%40), Salt: bytes.Repeat([]byte{byte(i)}, protocol.SaltSize)}
		if i%2 == 1 {
			rec = &Record{Body: []byte(`{"n":1}`)}
		}
		if err := s.Append(e, rec); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// asLayout2 rewrites s as layout 2 wrote it: every record body as it is,
// the version 2, no upgrade pending.
func asLayout2(tb testing.TB, s *Store) {
	tb.Helper()
	for k, v := range s.rawKeys(tb) {
		if strings.HasPrefix(k, prefixRecord) {
			if err := s.setKey([]byte(k), rawRecordValue(tb, []byte(v))); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := errors.Join(s.setKey(keyVersion, be32(2)), s.deleteKey(keyUpgrading)); err != nil {
		tb.Fatal(err)
	}
}

// recordEncodings counts the store's record values by encoding.
func recordEncodings(tb testing.TB, s *Store) map[byte]int {
	tb.Helper()
	out := map[byte]int{}
	for k, v := range s.rawKeys(tb) {
		if strings.HasPrefix(k, prefixRecord) {
			out[v[0]]++
		}
	}
	return out
}

// allRecords lists every record of s.
func allRecords(tb testing.TB, s *Store) []*StoredRecord {
	tb.Helper()
	rs, err := s.Records(RecordQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

// wantLayout3 checks that s is layout 3 with no upgrade pending, holds
// want, and verifies.
func wantLayout3(tb testing.TB, s *Store, want []*StoredRecord) {
	tb.Helper()
	keys := s.rawKeys(tb)
	if v := keys[string(keyVersion)]; v != string(be32(layoutVersion)) {
		tb.Errorf("layout %x, want %d", v, layoutVersion)
	}
	if v, ok := keys[string(keyUpgrading)]; ok {
		tb.Errorf("upgrade still pending (from %x)", v)
	}
	if got := allRecords(tb, s); !reflect.DeepEqual(got, want) {
		tb.Errorf("records changed by the upgrade: %d now, %d before", len(got), len(want))
	}
	if rep, err := s.Verify(context.Background()); err != nil || !rep.OK() {
		tb.Errorf("Verify = %+v, %v", rep, err)
	}
}

// TestUpgradeCompressesRecords opens a layout-2 store: it becomes layout
// 3, the bodies that shrink are stored compressed, the others as they
// were, and every record reads back the same.
func TestUpgradeCompressesRecords(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	fillRecords(t, s, 40)
	asLayout2(t, s)
	before := allRecords(t, s)
	if got := recordEncodings(t, s); !reflect.DeepEqual(got, map[byte]int{recordEncoding: 20, recordEncodingSalted: 20}) {
		t.Fatalf("layout-2 store holds encodings %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	wantLayout3(t, s, before)
	if got := recordEncodings(t, s); !reflect.DeepEqual(got, map[byte]int{recordEncoding: 20, recordEncodingSaltedZstd: 20}) {
		t.Errorf("upgraded store holds encodings %v, want the 20 batches compressed and the 20 notices as they were", got)
	}
}

// TestUpgradeResumesAfterCrash: a crash part way leaves the version
// raised, the upgrade pending and some records compressed. That store
// reads every record; the next Open finishes the upgrade.
func TestUpgradeResumesAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	fillRecords(t, s, 40)
	asLayout2(t, s)
	before := allRecords(t, s)
	// The state after startUpgrade and the first half of the rewrites.
	err := s.update(func(txn *badger.Txn) error { return startUpgrade(txn, s.logger, 2) })
	if err != nil {
		t.Fatal(err)
	}
	half := 0
	for k, v := range s.rawKeys(t) {
		if w := s.compressedRecord([]byte(k), []byte(v)); strings.HasPrefix(k, prefixRecord) && w != nil && half < 10 {
			if err := s.setKey([]byte(k), w); err != nil {
				t.Fatal(err)
			}
			half++
		}
	}
	if got := recordEncodings(t, s)[recordEncodingSaltedZstd]; got != 10 {
		t.Fatalf("%d records compressed before the crash, want 10", got)
	}
	if got := allRecords(t, s); !reflect.DeepEqual(got, before) {
		t.Fatal("a half-upgraded store does not read its records back")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	wantLayout3(t, s, before)
	if got := recordEncodings(t, s)[recordEncodingSaltedZstd]; got != 20 {
		t.Errorf("%d records compressed after the upgrade, want 20", got)
	}
}

// TestUpgradeInBoundedTransactions rewrites more records than Badger
// takes in one transaction (in memory every value counts: 2.4 MiB), and
// rewrites nothing when run again.
func TestUpgradeInBoundedTransactions(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	for i := range 800 { // 800 values of 4 KiB when compressed: 3.2 MiB
		body := append(noise(4000, uint64(i)), batchBody(20)...)
		if err := s.Append(c.next("batch", 64), &Record{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	asLayout2(t, s)
	before := allRecords(t, s)
	if n, err := s.compressRecords(); err != nil || n != 800 {
		t.Fatalf("compressRecords = %d, %v; want 800 rewritten", n, err)
	}
	if n, err := s.compressRecords(); err != nil || n != 0 {
		t.Fatalf("compressRecords again = %d, %v; want nothing to do", n, err)
	}
	if got := allRecords(t, s); !reflect.DeepEqual(got, before) {
		t.Error("records changed by the rewrite")
	}
}

// TestUpgradeLeavesDamagedRecord: a record value that does not decode is
// left as it is; the store opens, and Verify reports it.
func TestUpgradeLeavesDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	c := fillRecords(t, s, 4)
	asLayout2(t, s)
	damaged := []byte{recordEncodingSalted, 0, 0, 0, 0, 0, 0, 0, 0, 5, 'b', 'a', 't', 'c', 'h', 1, 2} // a salt cut short
	if err := s.setKey(recordKey(c.author(), 3), damaged); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	if v := s.storedValue(t, recordKey(c.author(), 3)); !bytes.Equal(v, damaged) {
		t.Errorf("damaged record rewritten to %x", v)
	}
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rep, Problem{Author: c.author(), Seq: 3, Kind: ProblemRecord})
}

// TestUpgradePendingMalformed: an upgrade marker that names no layout
// this build upgrades is damage, not a reason to guess.
func TestUpgradePendingMalformed(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	if err := s.setKey(keyUpgrading, be32(7)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Dir: dir})
	wantErr(t, err, ErrCorrupt)
}

// backupOf backs s up into a stream.
func backupOf(tb testing.TB, s *Store) (*bytes.Buffer, BackupInfo) {
	tb.Helper()
	var buf bytes.Buffer
	info, err := s.Backup(context.Background(), &buf)
	if err != nil {
		tb.Fatal(err)
	}
	return &buf, info
}

// TestBackupKeepsCompressedRecords: a backup carries record values as
// stored, compressed; the restored store holds the same values and
// records, and verifies.
func TestBackupKeepsCompressedRecords(t *testing.T) {
	src := openMem(t)
	fillRecords(t, src, 30)
	buf, info := backupOf(t, src)
	if info.Layout != layoutVersion || info.Records != 30 {
		t.Fatalf("backup info %+v", info)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(Options{Dir: dir}, buf); err != nil {
		t.Fatal(err)
	}
	s := openDir(t, dir)
	wantLayout3(t, s, allRecords(t, src))
	want, got := src.rawKeys(t), s.rawKeys(t)
	for k, v := range want {
		if strings.HasPrefix(k, prefixRecord) && got[k] != v {
			t.Errorf("record value %x restored as %x", k, got[k])
		}
	}
	if n := recordEncodings(t, s)[recordEncodingSaltedZstd]; n != 15 {
		t.Errorf("%d compressed records restored, want 15", n)
	}
}

// TestRestoreUpgradesOlderLayout: a backup of a layout-2 store restores,
// and the restored store is upgraded when opened.
func TestRestoreUpgradesOlderLayout(t *testing.T) {
	src := openMem(t)
	fillRecords(t, src, 10)
	asLayout2(t, src)
	buf, info := backupOf(t, src)
	if info.Layout != 2 {
		t.Fatalf("backup of layout %d", info.Layout)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(Options{Dir: dir}, buf); err != nil {
		t.Fatal(err)
	}
	s := openDir(t, dir)
	wantLayout3(t, s, allRecords(t, src))
	if n := recordEncodings(t, s)[recordEncodingSaltedZstd]; n != 5 {
		t.Errorf("%d compressed records after the upgrade, want 5", n)
	}
}

// TestRestoreRefusesUnknownLayout: a stream of a layout this build does
// not know (a newer one) is refused, naming both.
func TestRestoreRefusesUnknownLayout(t *testing.T) {
	src := openMem(t)
	fillRecords(t, src, 2)
	if err := src.setKey(keyVersion, be32(layoutVersion+1)); err != nil {
		t.Fatal(err)
	}
	buf, _ := backupOf(t, src)
	_, err := Restore(Options{Dir: filepath.Join(t.TempDir(), "restored")}, buf)
	wantErr(t, err, ErrLayoutVersion)
	if !strings.Contains(err.Error(), fmt.Sprintf("layout %d", layoutVersion+1)) {
		t.Errorf("error %q does not name the stream's layout", err)
	}
}
