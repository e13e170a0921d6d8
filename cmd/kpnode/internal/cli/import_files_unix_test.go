//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

// TestCheckImportFiles: what a clerk's attachments column can name that
// the node would refuse is refused before anything is uploaded, naming
// file, row and column: a file over 64 MiB (sparse here), a pipe (reading
// it would block), 21 files on one row, 256 MiB on one row; a symbolic
// link to a file outside the table's folder is followed; the same file on
// two rows, under two paths, is uploaded once.
func TestCheckImportFiles(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write := func(name string, size int64) {
		t.Helper()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
	}
	write("big.pdf", protocol.MaxAttachmentSize+1)
	for i := range 21 {
		write(fmt.Sprintf("p%02d.jpg", i), 10)
	}
	for i := range 5 {
		write(fmt.Sprintf("max%d.pdf", i), protocol.MaxAttachmentSize)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "scan.pdf"), []byte("%PDF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "scan.pdf"), filepath.Join(dir, "link.pdf")); err != nil {
		t.Fatal(err)
	}
	var many, max []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("p%02d.jpg", i))
	}
	for i := range 5 {
		max = append(max, fmt.Sprintf("max%d.pdf", i))
	}
	kind, _ := tabular.LookupKind("certificates")
	table := "number,attachments\nIN1,big.pdf\nIN2,pipe\nIN3," + strings.Join(many, ";") + "\nIN4," + strings.Join(max, ";") + "\n"
	_, err := checkImportFiles(kind, "c.csv", dir, []byte(table))
	var ie *tabular.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("checkImportFiles = %v, want every problem", err)
	}
	want := []string{
		`c.csv:2:attachments: "big.pdf": is 67108865 bytes, over the limit of 67108864 a file`,
		`c.csv:3:attachments: "pipe": is not a regular file`,
		`c.csv:4:attachments: names 21 files, over the limit of 20 a record`,
		`c.csv:5:attachments: files of 335544320 bytes together, over the limit of 268435456 a record`,
	}
	if len(ie.Errors) != len(want) {
		t.Fatalf("problems:\n%v\nwant %d", err, len(want))
	}
	for i, w := range want {
		if got := ie.Errors[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d: %s\nwant %s", i, got, w)
		}
	}

	good := "number,attachments\nIN1,link.pdf; p00.jpg\nIN2,./p00.jpg\n"
	fl, err := checkImportFiles(kind, "c.csv", dir, []byte(good))
	if err != nil || len(fl.order) != 2 || fl.bytes != 14 {
		t.Fatalf("good table: %+v, %v; want link.pdf (followed) and p00.jpg once", fl, err)
	}
}

// TestImportFilesDevicesAndSwaps: an attachments path that resolves to a
// device (/dev/zero, directly or through a symbolic link in the table's
// folder) is refused as not a regular file, naming file, row and column;
// a path out of the table's folder (../) is read, as the clerk named it;
// and a file checked and then replaced by a FIFO before it is read is
// refused at once, not waited on (a FIFO opened plainly blocks until a
// writer comes).
func TestImportFilesDevicesAndSwaps(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "tables")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside.pdf"), []byte("%PDF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scan.pdf"), []byte("%PDF-1.7"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.pdf")); err != nil {
		t.Fatal(err)
	}
	kind, _ := tabular.LookupKind("certificates")
	_, err := checkImportFiles(kind, "c.csv", dir, []byte("number,attachments\nIN1,/dev/zero\nIN2,zero.pdf\n"))
	var ie *tabular.ImportError
	if !errors.As(err, &ie) || len(ie.Errors) != 2 {
		t.Fatalf("devices: %v, want two problems", err)
	}
	for i, want := range []string{`c.csv:2:attachments: "/dev/zero": is not a regular file`, `c.csv:3:attachments: "zero.pdf": is not a regular file`} {
		if got := ie.Errors[i].Error(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %d: %s\nwant %s", i, got, want)
		}
	}

	fl, err := checkImportFiles(kind, "c.csv", dir, []byte("number,attachments\nIN1,scan.pdf;../outside.pdf\n"))
	if err != nil || len(fl.order) != 2 {
		t.Fatalf("a file and one out of the table's folder: %+v, %v", fl, err)
	}
	scan := filepath.Join(dir, "scan.pdf")
	if err := os.Remove(scan); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(scan, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() {
		_, err := fl.placeholders()
		done <- err
	}()
	go func() {
		fh, err := openAttachment(scan)
		if err == nil {
			fh.Close()
		}
		done <- err
	}()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, errNotRegular) {
				t.Fatalf("a file swapped for a FIFO: %v, want errNotRegular", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a file swapped for a FIFO was waited on")
		}
	}
}

// TestEvidenceFilesNotWaitedOn: evidence verify checks files from a
// folder that came with the bundle; a FIFO or a device there under the
// file's name is a problem at once, not a wait for a writer or a read
// that never ends.
func TestEvidenceFilesNotWaitedOn(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "scan.pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "photo.jpg")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for _, name := range []string{"scan.pdf", "photo.jpg"} {
		go func() {
			done <- checkFile(protocol.AttachedFile{Name: name, Size: protocol.MaxAttachmentSize}, filepath.Join(dir, name))
		}()
	}
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, errNotRegular) {
				t.Fatalf("checkFile = %v, want errNotRegular", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a FIFO in the evidence folder was waited on")
		}
	}
}
