package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/protocol"
)

// sameNameCSV is a certificates table of two certificates whose scans
// have one name in two folders.
const sameNameCSV = `number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd,attachments
IN0012001,IN,India KP Authority,2026-09-14,2026-11-13,Shree Ram Diamonds Pvt Ltd,GJEPC/KP/2026/01873,IN,Antwerp Rough Trading BV,FOD-DIA-004512,BE,BE,MIXED,3,7102.31,1520.35,228052.50,a/scan.pdf
IN0012002,IN,India KP Authority,2026-09-15,2026-11-14,Shree Ram Diamonds Pvt Ltd,GJEPC/KP/2026/01873,IN,Antwerp Rough Trading BV,FOD-DIA-004512,BE,BE,MIXED,2,7102.31,100.00,15000.00,b\scan.pdf
`

// dropFiles drops files on the drop zone of the import in a real drop
// event: each is [name, path, content]; a path, when set, is the file's
// path in the folder dropped, as the browser gives it (webkitRelativePath).
func dropFiles(t *testing.T, ctx context.Context, files ...[3]string) {
	t.Helper()
	var js strings.Builder
	js.WriteString(`(() => { const dt = new DataTransfer();`)
	for _, f := range files {
		b, _ := json.Marshal(f)
		js.WriteString(`{ const [name, path, text] = ` + string(b) + `; const file = new File([text], name, { type: 'application/pdf' });
			if (path) Object.defineProperty(file, 'webkitRelativePath', { value: path });
			dt.items.add(file); }`)
	}
	js.WriteString(`const zone = document.getElementById('import-files-zone');
		for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true; })()`)
	eval[bool](t, ctx, js.String())
}

// TestImportMatchesFilesByPathInBrowser: a table names a/scan.pdf on
// row 2 and b\scan.pdf on row 3, two different files of one name. Given
// with their paths in the folder (as a folder dropped or chosen gives
// them), each certificate gets its own file. Given by their names alone
// (a plain file picker), the import is refused before anything is sent,
// naming the row and the file, whether both files of that name or only
// one were chosen.
func TestImportMatchesFilesByPathInBrowser(t *testing.T) {
	src := loadAxe(t)
	in, _ := newTestAPI(t, "IN")
	ctx := newBrowser(t)
	table := filepath.Join(t.TempDir(), "certificates.csv")
	if err := os.WriteFile(table, []byte(sameNameCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	scanA, scanB := "%PDF-1.4 the scan of IN0012001", "%PDF-1.4 the scan of IN0012002"
	signInBrowser(t, ctx, in, "IN")
	open := func() {
		goTo(t, ctx, "#/")
		waitFor(t, ctx, "the overview", `!document.getElementById('import-form')`)
		goTo(t, ctx, "#/import")
		waitFor(t, ctx, "the files field", visible("#import-files-zone"))
		do(t, ctx, "choose the table", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{table}))
	}

	open()
	dropFiles(t, ctx, [3]string{"scan.pdf", "shipment/a/scan.pdf", scanA}, [3]string{"scan.pdf", "shipment/b/scan.pdf", scanB})
	waitFor(t, ctx, "both files listed", containsText("#import-files-list", "shipment/b/scan.pdf"))
	checkAxe(t, ctx, src, "import with a folder's files")
	do(t, ctx, "import", chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, ctx, "imported", containsText("#import-result", "Imported certificates.csv"))
	noPageErrors(t, ctx)
	var certs []struct {
		Number      string
		Attachments []protocol.AttachedFile
	}
	_, body := call(t, in, "GET", "/api/exports/certificates?format=json", testToken, nil)
	if err := json.Unmarshal(body, &certs); err != nil || len(certs) != 2 {
		t.Fatalf("export: %s, %v", body, err)
	}
	want := map[string]string{"IN0012001": scanA, "IN0012002": scanB}
	for _, c := range certs {
		sum := sha256.Sum256([]byte(want[c.Number]))
		if len(c.Attachments) != 1 || c.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s names %+v, want its own scan (sha256 %x)", c.Number, c.Attachments, sum)
		}
	}

	for name, files := range map[string][][3]string{
		"two files of that name": {{"scan.pdf", "", scanA}, {"scan.pdf", "", scanB}},
		"one file of that name":  {{"scan.pdf", "", scanA}},
	} {
		open()
		dropFiles(t, ctx, files...)
		waitFor(t, ctx, name+" listed", containsText("#import-files-list", "scan.pdf"))
		do(t, ctx, "import", chromedp.Click(chromedp.ID("import-button")))
		waitFor(t, ctx, name+": refused", containsText("#import-result", "Nothing was imported"))
		got := textOf(t, ctx, "#import-result")
		if !strings.Contains(got, `Row 2, attachments "a/scan.pdf"`) || !strings.Contains(got, "folder") {
			t.Errorf("%s: %q, want the row, the file and what to do", name, got)
		}
		if name == "one file of that name" && !strings.Contains(got, `the table also names "b\scan.pdf" (row 3)`) {
			t.Errorf("%s: %q, want the other path named", name, got)
		}
	}
	if _, body := call(t, in, "GET", "/api/exports/certificates?format=json", testToken, nil); strings.Count(string(body), `"number"`) != 2 {
		t.Errorf("a refused import published: %s", body)
	}
	noPageErrors(t, ctx)
}
