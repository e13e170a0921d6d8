package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

// newTestAPIEager is newTestAPI with a node fetching files of received
// records without being asked only up to eagerMB MiB.
func newTestAPIEager(t *testing.T, code string, eagerMB int64) *httptest.Server {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.DefaultConfig(code, "Authority "+code)
	cfg.Listen, cfg.AttachmentEagerMB = []string{"/ip4/127.0.0.1/tcp/0"}, eagerMB
	n, err := node.New(cfg, id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	srv := httptest.NewServer(mustHandler(t, n))
	t.Cleanup(srv.Close)
	return srv
}

// testJPEG writes a photo of noise, w×h pixels at quality 100 (about
// 3 MB at 1600×1200: JPEG cannot compress noise), and returns its path
// and its bytes' SHA-256.
func testJPEG(t *testing.T, w, h int) (string, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	img.Set(0, 0, color.RGBA{A: 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "parcel-close-up.jpg")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return path, hex.EncodeToString(sum[:])
}

// dropPDF drops a small PDF, made in the page, on the drop zone sel as a
// person dragging a file from the desktop does.
const dropPDF = `(() => {
  const dt = new DataTransfer();
  dt.items.add(new File(['%PDF-1.4 scan of certificate AE0123456'], 'AE0123456.pdf', { type: 'application/pdf' }));
  const zone = document.querySelector('#notice-files-zone');
  zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  return true;
})()`

// TestAttachmentJourneyInBrowser is issue 18's check by hand, in one
// test: at IN an officer attaches two photos (one of several MB) by the
// file picker and a scan by drag and drop to a vigilance notice and
// publishes it; at BE, which fetches files of at most 1 MiB without being
// asked, the notice's page shows the small photo and the scan held, and
// says of the large photo that it is not fetched yet and from whom. The
// link is then cut (BE pauses IN): the page says, before and after a
// reload, that no partner is connected to fetch it from, and "Fetch now"
// fails with the reason shown. Once the
// link is back, the page says IN again, "Fetch now" (by keyboard) fetches
// it, its thumbnail shows, and the download gives the photo's exact
// bytes.
func TestAttachmentJourneyInBrowser(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be := newTestAPIEager(t, "BE", 1)
	ctx := newBrowser(t)
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	big, bigSum := testJPEG(t, 1600, 1200)
	if fi, _ := os.Stat(big); fi.Size() < 2<<20 {
		t.Fatalf("the large photo has %d bytes, want several MB", fi.Size())
	}

	publishNoticeWithFiles(t, ctx, in, testPNG(t), big)

	var link SigninLink
	apiJSON(t, be, "POST", "/api/signin-links", nil, &link)
	beTab := newIncognito(t, ctx)
	do(t, beTab, "open BE's dashboard", chromedp.Navigate(be.URL+"/"))
	waitFor(t, beTab, "the sign-in form", visible("#code"))
	do(t, beTab, "sign in at BE", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, beTab, "BE's overview", containsText("#identity", "Authority BE"))
	eventually(t, "IN's notice at BE", func() error {
		if code, body := call(t, be, "GET", "/api/records/IN/1", testToken, nil); code != 200 {
			return &Error{Status: code, Message: string(body)}
		}
		return nil
	})
	goTo(t, beTab, "#/records/IN/1")
	const bigLine = `#record-files li[data-file="parcel-close-up.jpg"]`
	waitFor(t, beTab, "the small photo's thumbnail", `(() => { const i = document.querySelector('#record-files li[data-file="seized-parcel.png"] img.thumb'); return !!i && i.complete && i.naturalWidth === 40; })()`)
	waitFor(t, beTab, "the scan held", `!!document.querySelector('#record-files li[data-file="AE0123456.pdf"] a.file-download') && !document.querySelector('#record-files li[data-file="AE0123456.pdf"] .file-state')`)
	waitFor(t, beTab, "the large photo still to fetch from IN", containsText(bigLine+" .file-state", "fetched from IN when you open it"))
	if eval[int](t, beTab, `document.querySelectorAll('`+bigLine+` img').length`) != 0 {
		t.Fatal("a thumbnail shown for a photo not held (loading it would fetch it unasked)")
	}

	apiJSON(t, be, "POST", "/api/partners/IN/pause", nil, nil)
	waitFor(t, beTab, "the cut link said", containsText(bigLine+" .file-state", "no partner is connected"))
	do(t, beTab, "reload the page", chromedp.Reload())
	waitFor(t, beTab, "the cut link said after a reload", containsText(bigLine+" .file-state", "no partner is connected"))
	do(t, beTab, "fetch while cut", chromedp.Click(chromedp.CSS(bigLine+" button.file-fetch")))
	waitFor(t, beTab, "the failed fetch said", containsText(bigLine+" .field-error", "no partner is connected to fetch it from"))

	apiJSON(t, be, "POST", "/api/partners/IN/resume", nil, nil)
	waitFor(t, beTab, "IN back as the source", containsText(bigLine+" .file-state", "fetched from IN when you open it"))
	eval[bool](t, beTab, `(document.querySelector('`+bigLine+` button.file-fetch').focus(), document.activeElement.classList.contains('file-fetch'))`)
	do(t, beTab, "fetch by keyboard", chromedp.KeyEvent("\r"))
	waitFor(t, beTab, "the large photo's thumbnail", `(() => { const i = document.querySelector('`+bigLine+` img.thumb'); return !!i && i.complete && i.naturalWidth === 1600; })()`)
	c, cancel := context.WithTimeout(beTab, browserWait)
	defer cancel()
	got, err := chromedp.Run(c, chromedp.Evaluate[string](`(async () => {
  const r = await fetch(document.querySelector('`+bigLine+` a.file-download').href, { credentials: 'same-origin' });
  const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download the large photo at BE: %v", err)
	}
	if got != bigSum {
		t.Fatalf("the photo downloaded at BE has SHA-256 %s, want %s", got, bigSum)
	}
	noPageErrors(t, beTab)
}

// publishNoticeWithFiles signs in at IN's dashboard and publishes a
// vigilance notice to BE with the files at paths (chosen in the file
// picker) and a scan dropped on the form; the form shows the files'
// upload as it goes (several MB can take a while on a remote link).
func publishNoticeWithFiles(t *testing.T, ctx context.Context, in *httptest.Server, paths ...string) {
	t.Helper()
	var link SigninLink
	apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
	do(t, ctx, "open IN's dashboard", chromedp.Navigate(in.URL+"/"))
	waitFor(t, ctx, "the sign-in form", visible("#code"))
	do(t, ctx, "sign in", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, ctx, "the overview", containsText("#identity", "Authority IN"))
	goTo(t, ctx, "#/notice")
	waitFor(t, ctx, "the notice form", visible("#notice-form"))
	do(t, ctx, "choose a vigilance notice", chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="kind"]`), "enhanced_vigilance"))
	eval[bool](t, ctx, `document.querySelector('#notice-form [data-field="kind"]').dispatchEvent(new Event('change'))`)
	do(t, ctx, "fill the vigilance notice",
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="reference"]`), "IN-N-2026-0043"),
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="title"]`), "Parcels seized at Mumbai airport"),
		chromedp.SetValue(chromedp.CSS(`#notice-form [data-field="enhanced_vigilance.origin"]`), "CF"),
		chromedp.Click(chromedp.CSS(`#notice-form input[name="enhanced_vigilance.measures"][value="inspect_shipments"]`)),
		chromedp.SetUploadFiles(chromedp.ID("notice-files"), paths),
		chromedp.Click(chromedp.ID("to-BE")))
	eval[bool](t, ctx, dropPDF)
	waitFor(t, ctx, "three files listed", `document.querySelectorAll('#notice-files-list li').length === 3`)
	eval[bool](t, ctx, `(() => {
  const out = document.querySelector('#notice-result');
  window.resultsSeen = [];
  new MutationObserver(() => window.resultsSeen.push(out.textContent)).observe(out, { childList: true, subtree: true, characterData: true });
  return true;
})()`)
	do(t, ctx, "send it", chromedp.Click(chromedp.CSS(`#notice-form button[type=submit]`)))
	waitFor(t, ctx, "published", containsText("#notice-result", "published as entry #1"))
	if !eval[bool](t, ctx, `(() => {
  const pct = window.resultsSeen.map((s) => /^Sealing the files: (\d+)%/.exec(s)).filter(Boolean).map((m) => Number(m[1]));
  return pct[0] === 0 && Math.max(...pct) >= 90;
})()`) {
		t.Fatalf("no sealing progress shown while the files uploaded: %v", eval[[]string](t, ctx, `window.resultsSeen`))
	}
	noPageErrors(t, ctx)
}

// TestImportedCertificateFilesInBrowser: IN imports a certificates table
// whose attachments column names a photo (as kpnode import sends it: the
// file sealed first, then the table with the files part); the table
// travels as one batch entry. At BE, the certificate's page (the batch's
// item) and the batch's page show the photo's thumbnail, held.
func TestImportedCertificateFilesInBrowser(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	photo, err := os.ReadFile(testPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	_, member := call(t, in, "POST", "/api/attachments?name=parcel.png&media_type=image/png", testToken, photo)
	_, scan := call(t, in, "POST", "/api/attachments?name=IN0012001.pdf&media_type=application/pdf", testToken, []byte("%PDF-1.4 scan"))
	files := `{"photos\\parcel.png": ` + string(member) + `, "scans/IN0012001.pdf": ` + string(scan) + `}`
	if code, body := multipartImport(t, in, in.URL, [2]string{"files", files}, [2]string{"table", certificateWithFilesCSV}); code != 200 && code != 201 {
		t.Fatalf("import: %d %s", code, body)
	}
	eventually(t, "IN's certificate at BE", func() error {
		if code, body := call(t, be, "GET", "/api/records/IN/1", testToken, nil); code != 200 {
			return &Error{Status: code, Message: string(body)}
		}
		return nil
	})
	ctx := newBrowser(t)
	signInBrowser(t, ctx, be, "BE")
	const thumb = `(() => { const i = document.querySelector('#record-files li[data-file="parcel.png"] img.thumb'); return !!i && i.complete && i.naturalWidth === 40; })()`
	goTo(t, ctx, "#/records/IN/1?item=0")
	waitFor(t, ctx, "the certificate's photo", thumb)
	goTo(t, ctx, "#/records/IN/1")
	waitFor(t, ctx, "the batch's photo", thumb)
	noPageErrors(t, ctx)
}
