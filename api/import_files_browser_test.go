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

// TestCertificateFormWithFilesInBrowser: a clerk at IN issues one
// certificate in its form with a scan chosen in the file input and a
// photo dropped on the drop zone (a real drop event); the certificate
// reaches BE naming both files by the bytes given; the form passes axe.
func TestCertificateFormWithFilesInBrowser(t *testing.T) {
	src := loadAxe(t)
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	ctx := newBrowser(t)
	scan := filepath.Join(t.TempDir(), "IN0000042.pdf")
	scanBytes := "%PDF-1.4 the scan of IN0000042"
	if err := os.WriteFile(scan, []byte(scanBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	signInBrowser(t, ctx, in, "IN")
	goTo(t, ctx, "#/certificate")
	waitFor(t, ctx, "the certificate form", visible("#certificate-form"))
	set := func(field, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(`#certificate-form [data-field="`+field+`"]`), value)
	}
	do(t, ctx, "fill the certificate",
		set("number", "IN0000042"), set("issuing_authority", "KP Authority of India"),
		set("issued", "2026-09-14"), set("expires", "2026-11-13"),
		set("exporter.name", "Shree Ram Diamonds"), set("exporter.licence", "GJEPC/1"), set("exporter.country", "IN"),
		set("importer.name", "Antwerp Rough Trading"), set("importer.licence", "FOD-1"), set("importer.country", "BE"),
		set("destination", "BE"), set("origin", "BW"), set("parcels", "2"),
		set("lines[0].carats", "100.50"), set("lines[0].value_usd", "20000"),
		chromedp.Click(chromedp.ID("certificate-add-line")),
		set("lines[1].hs_code", "7102.21"), set("lines[1].carats", "9.5"), set("lines[1].value_usd", "95.25"),
		chromedp.SetUploadFiles(chromedp.ID("certificate-files"), []string{scan}),
		chromedp.Click(chromedp.ID("to-BE")))
	eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array([`+byteList(droppedPNG)+`])], 'parcel.png', { type: 'image/png' }));
		const zone = document.getElementById('certificate-files-zone');
		for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true;
	})()`)
	waitFor(t, ctx, "both files listed", containsText("#certificate-files-list", "parcel.png"))
	checkAxe(t, ctx, src, "certificate form with files")
	do(t, ctx, "issue it", chromedp.Click(chromedp.CSS(`#certificate-form button[type=submit]`)))
	waitFor(t, ctx, "published", containsText("#certificate-result", "published as entry #1"))
	noPageErrors(t, ctx)

	var v struct {
		Record struct {
			TotalCarats string                  `json:"total_carats"`
			Attachments []protocol.AttachedFile `json:"attachments"`
		}
	}
	eventually(t, "the certificate at BE", func() error {
		code, body := call(t, be, "GET", "/api/records/IN/1", testToken, nil)
		if code != 200 {
			return &Error{Status: code, Message: string(body)}
		}
		return json.Unmarshal(body, &v)
	})
	want := map[string]string{"IN0000042.pdf": scanBytes, "parcel.png": droppedPNG}
	if v.Record.TotalCarats != "110.00" || len(v.Record.Attachments) != 2 {
		t.Fatalf("BE holds %+v, want 110.00 carats and two files", v.Record)
	}
	for _, f := range v.Record.Attachments {
		sum := sha256.Sum256([]byte(want[f.Name]))
		if f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s: not the file given", f.Name, f.SHA256)
		}
	}
}
