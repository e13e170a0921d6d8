package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/protocol"
)

// certificateWithFilesCSV is a certificates table of one certificate
// whose attachments column names a scan and a photo by paths.
const certificateWithFilesCSV = `number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd,attachments
IN0012001,IN,India KP Authority,2026-09-14,2026-11-13,Shree Ram Diamonds Pvt Ltd,GJEPC/KP/2026/01873,IN,Antwerp Rough Trading BV,FOD-DIA-004512,BE,BE,MIXED,3,7102.31,1520.35,228052.50,scans/IN0012001.pdf; photos\parcel.png
`

// droppedPNG is what the test drops on the drop zone as parcel.png.
const droppedPNG = "\x89PNG\r\n\x1a\n not really a photo"

// TestImportCertificatesWithFilesInBrowser: a clerk imports a
// certificates table on the import page with the files its attachments
// column names, one chosen with the file input and one dropped on the
// drop zone (a real drop event carrying a DataTransfer built in the
// page); the files are sealed (a progress bar counts their bytes) and the
// certificate names both, by the bytes given. The files field shows for
// certificates only; the page passes axe.
func TestImportCertificatesWithFilesInBrowser(t *testing.T) {
	src := loadAxe(t)
	in, _ := newTestAPI(t, "IN")
	ctx := newBrowser(t)
	dir := t.TempDir()
	table := filepath.Join(dir, "certificates.csv")
	scan := filepath.Join(dir, "IN0012001.pdf")
	scanBytes := "%PDF-1.4 the scan of IN0012001"
	for p, b := range map[string]string{table: certificateWithFilesCSV, scan: scanBytes} {
		if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	signInBrowser(t, ctx, in, "IN")
	goTo(t, ctx, "#/import")
	waitFor(t, ctx, "the import form", visible("#import-form"))
	waitFor(t, ctx, "the files field", visible("#import-files-zone"))
	do(t, ctx, "choose the table and the scan",
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{table}),
		chromedp.SetUploadFiles(chromedp.ID("import-files"), []string{scan}))
	eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array([`+byteList(droppedPNG)+`])], 'parcel.png', { type: 'image/png' }));
		const zone = document.getElementById('import-files-zone');
		for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true;
	})()`)
	waitFor(t, ctx, "both files listed", containsText("#import-files-list", "parcel.png"))
	if got := textOf(t, ctx, "#import-files-list"); !strings.Contains(got, "IN0012001.pdf") {
		t.Fatalf("files listed: %q", got)
	}
	checkAxe(t, ctx, src, "import with files")
	do(t, ctx, "import", chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, ctx, "imported", containsText("#import-result", "Imported certificates.csv"))
	if got := eval[string](t, ctx, `document.getElementById('import-progress-seal').getAttribute('aria-valuenow')`); got != "100" {
		t.Errorf("sealing progress at %s%%, want 100", got)
	}
	noPageErrors(t, ctx)

	var certs []struct{ Attachments []protocol.AttachedFile }
	_, body := call(t, in, "GET", "/api/exports/certificates?format=json", testToken, nil)
	if err := json.Unmarshal(body, &certs); err != nil || len(certs) != 1 {
		t.Fatalf("export: %s, %v", body, err)
	}
	want := map[string]string{"IN0012001.pdf": scanBytes, "parcel.png": droppedPNG}
	if len(certs[0].Attachments) != 2 {
		t.Fatalf("the certificate names %+v, want the scan and the photo", certs[0].Attachments)
	}
	for _, f := range certs[0].Attachments {
		sum := sha256.Sum256([]byte(want[f.Name]))
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(want[f.Name])) {
			t.Errorf("%s: size %d, sha256 %s: not the file given", f.Name, f.Size, f.SHA256)
		}
	}

	do(t, ctx, "choose pre-notifications", chromedp.SetValue(chromedp.ID("import-kind"), "pre-notifications"))
	eval[bool](t, ctx, `document.getElementById('import-kind').dispatchEvent(new Event('change'))`)
	if !eval[bool](t, ctx, `document.getElementById('import-files-field').hidden`) {
		t.Error("the files field shows for pre-notifications, which carry no files")
	}
}

// byteList writes s as a JavaScript list of byte values.
func byteList(s string) string {
	parts := make([]string, len(s))
	for i := range len(s) {
		parts[i] = strconv.Itoa(int(s[i]))
	}
	return strings.Join(parts, ",")
}
