package api

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// testPNG writes a small PNG image and returns its path.
func testPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{R: uint8(6 * x), G: uint8(8 * y), B: 120, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seized-parcel.png")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAttachmentsInBrowser: an officer at IN attaches a photo and a scan
// to a notice in the form (the file input); at BE the notice's page shows
// the photo as a thumbnail, loaded from BE's node, and the scan as a
// download.
func TestAttachmentsInBrowser(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	ctx := newBrowser(t)
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	scan := filepath.Join(t.TempDir(), "AE0123456.pdf")
	if err := os.WriteFile(scan, []byte("%PDF-1.4 a scan of a forged certificate"), 0o600); err != nil {
		t.Fatal(err)
	}

	var link SigninLink
	apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
	do(t, ctx, "open IN's dashboard", chromedp.Navigate(in.URL+"/"))
	waitFor(t, ctx, "the sign-in form", visible("#code"))
	do(t, ctx, "sign in", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, ctx, "the overview", containsText("#identity", "Authority IN"))
	goTo(t, ctx, "#/notice")
	waitFor(t, ctx, "the notice form", visible("#notice-form"))
	do(t, ctx, "fill the notice",
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="kind"]`), "enhanced_vigilance"))
	eval[bool](t, ctx, `document.querySelector('#notice-form [data-field="kind"]').dispatchEvent(new Event('change'))`)
	do(t, ctx, "fill the vigilance notice",
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="reference"]`), "IN-N-2026-0042"),
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="title"]`), "Parcels seized at Mumbai airport"),
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="enhanced_vigilance.origin"]`), "CF"),
		chromedp.Click(chromedp.CSS(`#notice-form input[name="enhanced_vigilance.measures"][value="inspect_shipments"]`)),
		chromedp.SetUploadFiles(chromedp.ID("notice-files"), []string{testPNG(t), scan}),
		chromedp.Click(chromedp.ID("to-BE")))
	waitFor(t, ctx, "both files listed", containsText("#notice-files-list", "AE0123456.pdf"))
	do(t, ctx, "send it", chromedp.Click(chromedp.CSS(`#notice-form button[type=submit]`)))
	waitFor(t, ctx, "published", containsText("#notice-result", "published as entry #1"))
	noPageErrors(t, ctx)

	apiJSON(t, be, "POST", "/api/signin-links", nil, &link)
	beTab := newIncognito(t, ctx)
	do(t, beTab, "open BE's dashboard", chromedp.Navigate(be.URL+"/"))
	waitFor(t, beTab, "the sign-in form", visible("#code"))
	do(t, beTab, "sign in at BE", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, beTab, "BE's overview", containsText("#identity", "Authority BE"))
	eventually(t, "IN's notice at BE", func() error {
		code, body := call(t, be, "GET", "/api/records/IN/1", testToken, nil)
		if code != 200 {
			return &Error{Status: code, Message: string(body)}
		}
		return nil
	})
	goTo(t, beTab, "#/records/IN/1")
	waitFor(t, beTab, "the files panel", visible("#record-files"))
	waitFor(t, beTab, "the photo's thumbnail loaded", `(() => { const i = document.querySelector('#record-files img.thumb'); return i && i.complete && i.naturalWidth === 40; })()`)
	if got := eval[string](t, beTab, `document.querySelector('#record-files li[data-file="AE0123456.pdf"] a.file-download').getAttribute('download')`); got != "AE0123456.pdf" {
		t.Fatalf("the scan's download is named %q", got)
	}
	if eval[int](t, beTab, `document.querySelectorAll('#record-files li[data-file="AE0123456.pdf"] img').length`) != 0 {
		t.Fatal("a PDF shown as an image")
	}
	noPageErrors(t, beTab)
}
