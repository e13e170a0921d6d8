package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/store"
)

// TestDashboardServed: the shell and its files come without a token, with
// the security headers; directories are not listed; the API still needs
// the token.
func TestDashboardServed(t *testing.T) {
	srv := httptest.NewServer(mustHandler(t, nil))
	t.Cleanup(srv.Close)
	resp, body := get(t, srv.URL+"/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self';",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s: %q, want %q", h, resp.Header.Get(h), want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP lacks frame-ancestors 'none'")
	}
	m := regexp.MustCompile(`src="(/static/js/main\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the shell does not load main.js with a version:\n%s", body)
	}
	resp, _ = get(t, srv.URL+m[1], nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || resp.Header.Get("ETag") == "" {
		t.Fatalf("main.js: %d %q etag %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	if resp, _ = get(t, srv.URL+"/static/js/main.js", map[string]string{"If-None-Match": resp.Header.Get("ETag")}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("main.js with its ETag: %d, want 304", resp.StatusCode)
	}
	for _, p := range []string{"/static/", "/static/js/", "/static/nope.js", "/index.html", "/nowhere"} {
		if resp, _ := get(t, srv.URL+p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/status", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/status without token: %d", resp.StatusCode)
	}
}

func get(t *testing.T, url string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestDashboardScripts checks the scripts without a browser: every module
// they import is embedded, and none of them writes HTML from strings (data
// goes in as text only).
func TestDashboardScripts(t *testing.T) {
	importRe := regexp.MustCompile(`(?m)^import .* from '(\.[^']+)';$`)
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\('style'`)
	n := 0
	err := fs.WalkDir(webFS, "web/static/js", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		n++
		b, _ := fs.ReadFile(webFS, p)
		if loc := forbidden.FindIndex(b); loc != nil {
			t.Errorf("%s writes HTML or code from strings: %q", p, b[loc[0]:loc[1]])
		}
		for _, m := range importRe.FindAllSubmatch(b, -1) {
			target := filepath.ToSlash(filepath.Join(filepath.Dir(p), string(m[1])))
			if _, err := fs.Stat(webFS, target); err != nil {
				t.Errorf("%s imports %s, which is not embedded", p, m[1])
			}
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walked %d scripts: %v", n, err)
	}
}

// chromiumPath finds the browser for the browser tests.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("KPNODE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium for the test and returns a context
// for its first tab. Without Chromium the test is skipped, except under CI
// (CI set), where it fails: CI installs Chromium.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (/usr/bin/chromium); CI must install it: apt-get install chromium")
		}
		t.Skip("chromium is not installed (/usr/bin/chromium): the browser tests need it (apt-get install chromium)")
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	// The first run starts the browser and must use the tab's own context
	// (cancelling a derived one would close the browser); the allocator
	// bounds the start (20 s to hear from Chromium).
	if err := chromedp.Do(ctx, watchErrors); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// errorWatch records every page's script errors, failed promises and
// Content-Security-Policy violations in window.kpnodeErrors.
const errorWatch = `window.kpnodeErrors = [];
addEventListener('error', (e) => kpnodeErrors.push('error: ' + e.message));
addEventListener('unhandledrejection', (e) => kpnodeErrors.push('unhandled: ' + ((e.reason && e.reason.message) || e.reason)));
document.addEventListener('securitypolicyviolation', (e) => kpnodeErrors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));`

// watchErrors installs errorWatch in every page the tab loads.
var watchErrors chromedp.Action[chromedp.Void] = func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: errorWatch})
	return chromedp.Void{}, err
}

// noPageErrors fails the test if the tab's page had script errors.
func noPageErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	if errs := eval[[]string](t, ctx, `window.kpnodeErrors || ['the error watch is missing']`); len(errs) > 0 {
		t.Errorf("errors in the page:\n%s", strings.Join(errs, "\n"))
	}
}

// newTab opens another tab (its own sessionStorage) in the browser of ctx.
func newTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, watchErrors); err != nil { // opens the tab; see newBrowser
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// newIncognito opens a tab in a new browser context of the browser of ctx:
// its own cookies, as another person's browser.
func newIncognito(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, watchErrors); err != nil {
		t.Fatalf("open an incognito tab: %v", err)
	}
	return tab
}

// noTokenInBrowser fails the test if the API token is anywhere a page's
// script can read: storage, readable cookies, the page itself. (The
// session cookie is HttpOnly, so document.cookie does not show it.)
func noTokenInBrowser(t *testing.T, ctx context.Context) {
	t.Helper()
	seen := eval[string](t, ctx, `JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie + document.documentElement.outerHTML`)
	if strings.Contains(seen, testToken) {
		t.Fatal("the API token reached the browser")
	}
	if strings.Contains(eval[string](t, ctx, `document.cookie`), sessionCookie) {
		t.Fatal("the session cookie is readable by scripts")
	}
}

// browserWait bounds every browser step.
const browserWait = 30 * time.Second

// do runs browser steps within browserWait, failing the test with what
// was being done.
func do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v\npage text:\n%s", what, err, pageText(ctx))
	}
}

// waitFor waits until the JavaScript condition holds in the page.
func waitFor(t testing.TB, ctx context.Context, what, cond string) {
	t.Helper()
	do(t, ctx, "wait for "+what, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(browserWait)))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// textOf returns the text of the first element matching a CSS selector.
func textOf(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ''`, sel))
}

// pageText is the visible text of the page, for failure messages.
func pageText(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// goTo changes the dashboard's route in place (no page load).
func goTo(t testing.TB, ctx context.Context, hash string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`location.hash = %q`, hash))
}

// visible is a JavaScript condition: an element matching sel is shown.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null; })()`, sel)
}

// containsText is a JavaScript condition: the element matching sel shows text.
func containsText(sel, text string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, text)
}

// apiJSON calls the API of srv with the test token and decodes the answer.
func apiJSON(t testing.TB, srv *httptest.Server, method, path string, body []byte, out any) {
	t.Helper()
	code, b := call(t, srv, method, path, testToken, body)
	if code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		<-tick.C
	}
}

// TestDashboardInBrowser drives the real dashboard in headless Chromium
// against two real nodes on loopback: sign in with a one-time code, watch
// a partner connect and an entry arrive without a reload, see a bad CSV
// row refused, open a finding and the record behind it, sign in with a
// one-time link and with the page kpnode dashboard --open writes, and see
// a revoked session signed out. The API token never reaches the browser.
func TestDashboardInBrowser(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	ctx := newBrowser(t) // after the servers: closed first, so their streams end
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil) // BE knows IN; IN pins BE later, in view

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{{"sign in with a one-time code", func(t *testing.T) {
		do(t, ctx, "open the dashboard", chromedp.Navigate(in.URL+"/"))
		waitFor(t, ctx, "the sign-in form", visible("#code"))
		do(t, ctx, "sign in with a wrong code", chromedp.SendKeys(chromedp.ID("code"), "not-the-code"), chromedp.Click(chromedp.ID("signin-button")))
		waitFor(t, ctx, "the refusal", containsText("#signin-status", "not right"))
		var link SigninLink
		apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
		do(t, ctx, "sign in", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
		waitFor(t, ctx, "the overview", containsText("#identity", "Authority IN"))
		waitFor(t, ctx, "no partners yet", containsText("#partners", "no partners yet"))
		noTokenInBrowser(t, ctx)
		eval[chromedp.Void](t, ctx, `window.kpnodeNoReload = true`)
	}}, {"a partner connects", func(t *testing.T) {
		apiJSON(t, in, "POST", "/api/partners", beCard, nil)
		waitFor(t, ctx, "BE connected", visible(`tr[data-partner="BE"][data-connected="true"]`))
		if !strings.Contains(textOf(t, ctx, `tr[data-partner="BE"]`), "Connected") {
			t.Fatalf("BE's row: %q", textOf(t, ctx, `tr[data-partner="BE"]`))
		}
	}}, {"a new entry arrives live", func(t *testing.T) {
		goTo(t, ctx, "#/records")
		waitFor(t, ctx, "the records page", visible("#records-list"))
		notice := strings.Replace(exampleNotice(t), "Forged AE certificates presented in Mumbai", "Live notice from Brussels", 1)
		notice = strings.Replace(notice, `"detected_by": "IN"`, `"detected_by": "BE"`, 1) // BE's own detection
		req, _ := json.Marshal(PublishRequest{To: []string{"IN"}, Record: []byte(notice)})
		apiJSON(t, be, "POST", "/api/records/notice", req, nil)
		waitFor(t, ctx, "BE's notice in the list", containsText(`#records-table tr[data-feed="BE"][data-type="notice"]`, "Live notice from Brussels"))
		if !eval[bool](t, ctx, `window.kpnodeNoReload === true`) {
			t.Fatal("the page was reloaded")
		}
	}}, {"a notice's wrong fields are marked", func(t *testing.T) {
		goTo(t, ctx, "#/notice")
		waitFor(t, ctx, "the notice form", visible("#notice-form"))
		do(t, ctx, "send an empty notice", chromedp.Click(chromedp.ID("to-BE")), chromedp.Click(chromedp.CSS(`#notice-form button[type=submit]`)))
		waitFor(t, ctx, "the title marked", visible(`.has-error [data-field="title"]`))
		waitFor(t, ctx, "the reasons listed", containsText("#notice-form-problems", "Title: is required"))
	}}, {"a bad CSV row is shown", func(t *testing.T) {
		file := badCertificatesCSV(t)
		goTo(t, ctx, "#/import")
		waitFor(t, ctx, "the import form", visible("#import-form"))
		do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{file}))
		do(t, ctx, "choose BE", chromedp.Click(chromedp.ID("import-to-BE")))
		do(t, ctx, "upload", chromedp.Click(chromedp.ID("import-button")))
		waitFor(t, ctx, "the bad row", visible("#import-rows"))
		rows := textOf(t, ctx, "#import-rows")
		if !strings.Contains(rows, "bad.csv") || !strings.Contains(rows, "carats") || !strings.Contains(textOf(t, ctx, "#import-errors"), "1 problem in 1 row") {
			t.Fatalf("import errors shown: %q", textOf(t, ctx, "#import-errors"))
		}
		click(t, ctx, "open the record formats", "#formats-link")
		waitFor(t, ctx, "the record reference from the node", containsText("#reference", "Import and export formats"))
	}}, {"a finding's drill-down", func(t *testing.T) {
		const id = "R1/IN/IN0012006"
		makeMismatch(t, in, be, id)
		goTo(t, ctx, "#/findings")
		sel := fmt.Sprintf(`tr[data-finding=%q] a.finding-link`, id)
		waitFor(t, ctx, "the finding in the list", visible(sel))
		do(t, ctx, "open the finding", chromedp.Click(chromedp.CSS(sel)))
		waitFor(t, ctx, "the finding's numbers", visible("#finding-numbers"))
		waitFor(t, ctx, "the finding's records", containsText("#finding-records", "IN0012006"))
		do(t, ctx, "acknowledge it", chromedp.SendKeys(chromedp.ID("ack-note"), "weighed again"), chromedp.Click(chromedp.ID("ack-button")))
		waitFor(t, ctx, "the acknowledgement", containsText("#finding-ack", "weighed again"))
		if got := textOf(t, ctx, "#finding-ack"); !strings.Contains(got, "no longer shows among the open findings") {
			t.Errorf("the acknowledgement does not say what happens: %q", got)
		}
		if !eval[bool](t, ctx, `document.querySelector('#finding-ack').contains(document.activeElement)`) {
			t.Errorf("focus after acknowledging is on %s, not on the outcome", eval[string](t, ctx, `document.activeElement.tagName + '#' + document.activeElement.id`))
		}
		do(t, ctx, "open the certificate", chromedp.Click(chromedp.CSS(`#finding-records a.record-link`)))
		waitFor(t, ctx, "the record", containsText("#record-body", "IN0012006"))
		noPageErrors(t, ctx)
	}}, {"a finding about item 0 of a batch shows it as item 1", func(t *testing.T) {
		// The imports above publish batches; the first certificate of IN's
		// batch is item 0, which the findings page used to hide.
		var id string
		for _, f := range listFindings(t, in, "") {
			for _, r := range f.Records {
				if r.Batch && r.Item == 0 && id == "" {
					id = f.ID
				}
			}
		}
		if id == "" {
			t.Fatal("no finding about item 0 of a batch")
		}
		goTo(t, ctx, "#/findings/"+id)
		waitFor(t, ctx, "the finding's records", visible("#finding-records"))
		if got := textOf(t, ctx, "#finding-records"); !strings.Contains(got, "item 1") || strings.Contains(got, "item 0") {
			t.Fatalf("finding %s's records: %q, want item 1 and no item 0", id, got)
		}
		noPageErrors(t, ctx)
	}}, {"findings are one line of recent activity", func(t *testing.T) {
		// The mismatch raised several findings at once, then one was
		// acknowledged: consecutive finding events fold into one line.
		goTo(t, ctx, "#/")
		waitFor(t, ctx, "the grouped findings", visible(`#activity-list li[data-kind="findings"] a[href="#/findings"]`))
		if eval[bool](t, ctx, `[...document.querySelectorAll('#activity-list li')].some((li, i, all) =>
			i > 0 && /^finding/.test(li.dataset.kind) && /^finding/.test(all[i-1].dataset.kind))`) {
			t.Errorf("consecutive finding lines in recent activity: %q", textOf(t, ctx, "#activity-list"))
		}
		noPageErrors(t, ctx)
	}}, {"sign in with a one-time link", func(t *testing.T) {
		var link SigninLink
		apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
		tab := newTab(t, ctx)
		do(t, tab, "open the link", chromedp.Navigate(link.URL))
		waitFor(t, tab, "the overview", containsText("#identity", "Authority IN"))
		if loc := eval[string](t, tab, `location.href`); strings.Contains(loc, "signin=") {
			t.Errorf("the code stayed in the address bar: %s", loc)
		}
		again := newIncognito(t, ctx)
		do(t, again, "open the used link", chromedp.Navigate(link.URL))
		waitFor(t, again, "the refusal", containsText("#signin-status", "already used"))
		if eval[bool](t, again, `!document.getElementById('nav').hidden`) {
			t.Fatal("a used link signed in")
		}
		noTokenInBrowser(t, tab)
		noPageErrors(t, tab)
		noPageErrors(t, again)
	}}, {"the page of kpnode dashboard --open signs in", func(t *testing.T) {
		var link SigninLink
		apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
		page, err := SigninPage(link)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "signin.html")
		if err := os.WriteFile(file, page, 0o600); err != nil {
			t.Fatal(err)
		}
		tab := newIncognito(t, ctx)
		do(t, tab, "open the sign-in page", chromedp.Navigate("file://"+file))
		waitFor(t, tab, "the overview", containsText("#identity", "Authority IN"))
		noTokenInBrowser(t, tab)
		again := newIncognito(t, ctx)
		do(t, again, "open the used page", chromedp.Navigate("file://"+file))
		waitFor(t, again, "the refusal", containsText("#signin-status", "already used"))
		noPageErrors(t, tab)
	}}, {"a revoked session signs the dashboard out", func(t *testing.T) {
		var list []Session
		apiJSON(t, in, "GET", "/api/sessions", nil, &list)
		if len(list) < 3 {
			t.Fatalf("%d sessions listed, want the 3 browsers signed in", len(list))
		}
		for _, s := range list {
			apiJSON(t, in, "DELETE", "/api/sessions/"+s.ID, nil, nil)
		}
		waitFor(t, ctx, "the sign-in form", visible("#code"))
		waitFor(t, ctx, "the reason", containsText("#signin-status", "expired or was revoked"))
	}}}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			return // the later steps build on this one
		}
	}
}

// badCertificatesCSV writes the example certificates with a bad carats
// value on the third line and returns the file's path.
func badCertificatesCSV(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines[3] = strings.Replace(lines[3], ",842.10,", ",lots,", 1)
	p := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeMismatch has IN import the example certificates to BE and BE import
// the example confirmations to IN, one of which does not match; it waits
// until IN holds the finding id.
func makeMismatch(t *testing.T, in, be *httptest.Server, id string) {
	t.Helper()
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
	eventually(t, "BE holds IN's certificates", func() error {
		_, b := call(t, be, "GET", "/api/exports/certificates?format=json", testToken, nil)
		if !strings.Contains(string(b), "IN0012006") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	importFile(t, be, "confirmations", "IN", "../docs/examples/import/confirmations.csv")
	eventually(t, "IN's finding "+id, func() error {
		code, b := call(t, in, "GET", "/api/findings/"+id, testToken, nil)
		if code != http.StatusOK {
			return fmt.Errorf("%d %s", code, b)
		}
		return nil
	})
}

// importFile imports a file through the API of srv.
func importFile(t *testing.T, srv *httptest.Server, kind, to, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	apiJSON(t, srv, "POST", "/api/imports/"+kind+"?to="+to+"&file="+filepath.Base(path), b, nil)
}

// A node restored from a backup says on its overview that it publishes
// nothing until its partners confirm its own head, and how to end the wait.
func TestDashboardShowsRecovery(t *testing.T) {
	in, _ := newTestAPIWith(t, "IN", func(st *store.Store) error {
		return st.MarkRecovering("restored from a backup in a test")
	})
	ctx := newBrowser(t)
	do(t, ctx, "open the dashboard", chromedp.Navigate(in.URL+"/"))
	waitFor(t, ctx, "the sign-in form", visible("#code"))
	var link SigninLink
	apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
	do(t, ctx, "sign in", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, ctx, "the recovery notice", containsText("#recovery", "Paused while the node recovers"))
	got := textOf(t, ctx, "#recovery")
	for _, want := range []string{"restored from a backup in a test", "0 of 0 partners", "kpnode recover --force"} {
		if !strings.Contains(got, want) {
			t.Errorf("recovery notice %q lacks %q", got, want)
		}
	}
}
