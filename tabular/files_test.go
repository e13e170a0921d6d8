package tabular

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// testFile is an uploaded file named name whose hashes are made of c.
func testFile(name string, c byte) protocol.AttachedFile {
	h := strings.Repeat(string(c), 64)
	return protocol.AttachedFile{Name: name, MediaType: "application/pdf", Size: 1000, SHA256: h, Blob: h, Key: h}
}

// certCSVWithFiles is the example certificate exported as CSV with files
// attached, and the body.
func certCSVWithFiles(t *testing.T, files ...protocol.AttachedFile) (string, []byte) {
	t.Helper()
	body := mutated(t, "certificate.json", func(m map[string]any) { m["attachments"] = files })
	canon, _, err := canonicalRecord(protocol.CertificateType, body)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(mustKind(t, "certificates"), &buf, FormatCSV, [][]byte{canon}); err != nil {
		t.Fatal(err)
	}
	return buf.String(), canon
}

// TestReadTableFiles: an export names a certificate's files in its
// attachments column; read back with the files uploaded for those paths
// it gives the same canonical body; FileCells finds the paths.
func TestReadTableFiles(t *testing.T) {
	scan, photo := testFile("IN0001234.pdf", 'a'), testFile("parcel.jpg", 'b')
	photo.MediaType = "image/jpeg"
	csv, canon := certCSVWithFiles(t, scan, photo)
	if !strings.Contains(csv, "IN0001234.pdf; parcel.jpg") {
		t.Fatalf("export does not name the files:\n%s", csv)
	}
	tab, err := ReadTableOptions(mustKind(t, "certificates"), "c.csv", strings.NewReader(csv), "", ReadOptions{
		Files: map[string]protocol.AttachedFile{"IN0001234.pdf": scan, "parcel.jpg": photo}})
	if err != nil || len(tab.Bodies) != 1 || !bytes.Equal(tab.Bodies[0], canon) {
		t.Fatalf("read back = %v, %v\nwant %s", tab, err, canon)
	}
	cells, err := FileCells(mustKind(t, "certificates"), "c.csv", []byte(csv))
	if err != nil || len(cells) != 2 || cells[0].Row != 2 || strings.Join(cells[0].Paths, "|") != "IN0001234.pdf|parcel.jpg" {
		t.Fatalf("FileCells = %+v, %v", cells, err)
	}
}

// TestExportFilesColumnOnlyWithFiles: an export of records none of which
// names files has no attachments column (a node that predates attachments
// imports it); one record with files brings the column for every row.
func TestExportFilesColumnOnlyWithFiles(t *testing.T) {
	k := mustKind(t, "certificates")
	plain := readFile(t, examplesDir+"/certificate.json")
	var buf bytes.Buffer
	if err := WriteTable(k, &buf, FormatCSV, [][]byte{plain}); err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(buf.String(), "\n"); strings.Contains(header, FilesColumn) {
		t.Errorf("export without files has the column: %s", header)
	}
	_, withFiles := certCSVWithFiles(t, testFile("scan.pdf", 'c'))
	buf.Reset()
	if err := WriteTable(k, &buf, FormatCSV, [][]byte{plain, withFiles}); err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasSuffix(header, ","+FilesColumn) {
		t.Errorf("export with files lacks the column: %s", header)
	}
}

// TestReadTableFilesProblems: a path not uploaded, and two paths that
// upload files of the same name, are problems of the row's attachments
// column; nothing is returned.
func TestReadTableFilesProblems(t *testing.T) {
	csv, _ := certCSVWithFiles(t, testFile("a.pdf", 'a'))
	k := mustKind(t, "certificates")
	_, err := ReadTableOptions(k, "c.csv", strings.NewReader(csv), "", ReadOptions{})
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("no file uploaded = %v", err)
	}
	wantProblems(t, ie, `2:attachments:file "a.pdf" was not sent with the table`)
	twice := strings.ReplaceAll(csv, "a.pdf", "x/a.pdf;y/a.pdf")
	_, err = ReadTableOptions(k, "c.csv", strings.NewReader(twice), "", ReadOptions{
		Files: map[string]protocol.AttachedFile{"x/a.pdf": testFile("a.pdf", 'a'), "y/a.pdf": testFile("a.pdf", 'b')}})
	if !errors.As(err, &ie) {
		t.Fatalf("two files named a.pdf = %v", err)
	}
	wantProblems(t, ie, `2:attachments:duplicate file name "a.pdf"`)
}

// TestFilesColumnOnlyWhereRecordsCarryFiles: a kind whose records carry
// no files refuses the column, in ReadTable and in FileCells, saying
// which types may.
func TestFilesColumnOnlyWhereRecordsCarryFiles(t *testing.T) {
	for _, k := range Kinds() {
		if protocol.CarriesFiles(k.Type) {
			continue
		}
		csv := "attachments," + strings.Join(requiredColumns(k), ",") + "\nscan.pdf" + strings.Repeat(",x", len(requiredColumns(k))) + "\n"
		_, ie := readTable(t, k.Name, "t.csv", csv)
		if ie == nil || ie.Errors[0].Column != "attachments" || !strings.Contains(ie.Errors[0].Reason, "carry no files: only records of type notice, certificate") {
			t.Errorf("%s: %v, want the attachments column refused", k.Name, ie)
		}
		if _, err := FileCells(k, "t.csv", []byte(csv)); !errors.As(err, &ie) || ie.Errors[0].Column != "attachments" {
			t.Errorf("%s: FileCells = %v, want the column refused", k.Name, err)
		}
	}
}

func requiredColumns(k Kind) []string {
	var out []string
	for _, c := range k.Columns {
		if c.Required {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestSplitFiles(t *testing.T) {
	got := SplitFiles(" scans/a b.pdf ;; C:\\photos\\p.jpg; ")
	if strings.Join(got, "|") != `scans/a b.pdf|C:\photos\p.jpg` {
		t.Fatalf("SplitFiles = %q", got)
	}
}

// TestReadTableFilesByName: a path the files do not list is looked up by
// its name, its last part after / or \ (what the dashboard sends).
func TestReadTableFilesByName(t *testing.T) {
	scan := testFile("a.pdf", 'a')
	csv, canon := certCSVWithFiles(t, scan)
	for _, path := range []string{`scans/a.pdf`, `C:\scans\a.pdf`} {
		text := strings.ReplaceAll(csv, ",a.pdf", ","+path)
		if !strings.Contains(text, path) {
			t.Fatalf("no a.pdf cell in\n%s", csv)
		}
		tab, err := ReadTableOptions(mustKind(t, "certificates"), "c.csv", strings.NewReader(text), "", ReadOptions{
			Files: map[string]protocol.AttachedFile{"a.pdf": scan}})
		if err != nil || !bytes.Equal(tab.Bodies[0], canon) {
			t.Fatalf("%s: %v, %v", path, tab, err)
		}
	}
}

// TestReadTableFilesSameNameOtherFolders: two certificates name files of
// one name in different folders. Sent under their paths, each gets its
// own; sent by the name alone, neither is matched and both rows say which
// other path clashes: a file is never taken for another of its name.
func TestReadTableFilesSameNameOtherFolders(t *testing.T) {
	scan := testFile("scan.pdf", 'a')
	csv, _ := certCSVWithFiles(t, scan)
	header, rows, _ := strings.Cut(csv, "\n") // the certificate's two lines
	if !strings.Contains(rows, "IN0001234") {
		t.Fatalf("no certificate:\n%s", csv)
	}
	text := header + "\n" + strings.ReplaceAll(rows, ",scan.pdf", ",a/scan.pdf") +
		strings.ReplaceAll(strings.ReplaceAll(rows, "IN0001234", "IN0001235"), ",scan.pdf", `,b\scan.pdf`)
	other := testFile("scan.pdf", 'b')
	k := mustKind(t, "certificates")
	tab, err := ReadTableOptions(k, "c.csv", strings.NewReader(text), "", ReadOptions{
		Files: map[string]protocol.AttachedFile{"a/scan.pdf": scan, `b\scan.pdf`: other}})
	if err != nil || len(tab.Bodies) != 2 || !bytes.Contains(tab.Bodies[0], []byte(scan.Blob)) || !bytes.Contains(tab.Bodies[1], []byte(other.Blob)) {
		t.Fatalf("sent under their paths: %v, %v", tab, err)
	}
	_, err = ReadTableOptions(k, "c.csv", strings.NewReader(text), "", ReadOptions{
		Files: map[string]protocol.AttachedFile{"scan.pdf": scan}})
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Errors) != 2 {
		t.Fatalf("sent by name: %v, want two row errors", err)
	}
	want := []struct {
		row  int
		text string
	}{{2, `file "a/scan.pdf": only a file named "scan.pdf" was sent, and the table also names "b\\scan.pdf" (row 4)`},
		{4, `file "b\\scan.pdf": only a file named "scan.pdf" was sent, and the table also names "a/scan.pdf" (row 2)`}}
	for i, w := range want {
		if e := ie.Errors[i]; e.Row != w.row || e.Column != FilesColumn || !strings.Contains(e.Reason, w.text) {
			t.Errorf("error %d: %+v, want row %d: %s", i, e, w.row, w.text)
		}
	}
}
