package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// progressEvent is the fields of an "import_progress" event.
type progressEvent struct {
	ImportID string `json:"import_id"`
	File     string `json:"file"`
	Phase    string `json:"phase"`
	Done     int    `json:"done"`
	Total    int    `json:"total"`
}

// TestImportProgressEvents imports 600 certificates (to BE and AE) with an import_id and
// reads the event stream: each phase of that import reports from 0 to its
// total, in order, naming the file; a bad import_id is refused.
func TestImportProgressEvents(t *testing.T) {
	in := pinnedPair(t)
	const n = 600
	code, body := call(t, in, "POST", "/api/imports/certificates?file=year.csv&import_id=year-1", testToken, certificatesCSV(t, n))
	var res struct {
		ImportID string `json:"import_id"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res.ImportID != "year-1" {
		t.Fatalf("import: %d %s", code, body)
	}
	evs := readProgress(t, in.URL, "year-1", "publish", n)
	want := []string{"parse", "check", "publish"}
	var phases []string
	last := map[string]progressEvent{}
	for _, ev := range evs {
		if p, seen := last[ev.Phase]; !seen {
			phases = append(phases, ev.Phase)
			if ev.Done != 0 {
				t.Errorf("phase %s starts at %d", ev.Phase, ev.Done)
			}
		} else if ev.Done <= p.Done {
			t.Errorf("phase %s went from %d to %d", ev.Phase, p.Done, ev.Done)
		}
		if ev.File != "year.csv" || ev.Total != n {
			t.Errorf("event %+v, want file year.csv, total %d", ev, n)
		}
		last[ev.Phase] = ev
	}
	if strings.Join(phases, ",") != strings.Join(want, ",") {
		t.Errorf("phases %v, want %v", phases, want)
	}
	for _, ph := range want {
		if last[ph].Done != n {
			t.Errorf("phase %s ends at %d, want %d", ph, last[ph].Done, n)
		}
	}
	if code, _ := call(t, in, "POST", "/api/imports/certificates?file=x.csv&import_id=a%20b", testToken, certificatesCSV(t, 1)); code != http.StatusBadRequest {
		t.Errorf("import_id with a space: %d, want 400", code)
	}
}

// readProgress reads the event stream from its start until import id's
// phase reports done == total (or 20 s pass), and returns that import's
// progress events.
func readProgress(t *testing.T, url, id, phase string, total int) []progressEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []progressEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Kind   string        `json:"kind"`
			Fields progressEvent `json:"fields"`
		}
		if json.Unmarshal([]byte(data), &ev) != nil || ev.Kind != "import_progress" || ev.Fields.ImportID != id {
			continue
		}
		out = append(out, ev.Fields)
		if ev.Fields.Phase == phase && ev.Fields.Done == total {
			return out
		}
	}
	t.Fatalf("stream ended before %s reached %d: %+v", phase, total, out)
	return nil
}

// TestDashboardImportProgress imports 600 certificates on the dashboard's
// import page in Chromium: a labelled progress bar per phase appears,
// driven by the import's events, the publish bar ends at 100 %, and the
// page with its bars passes axe-core.
func TestDashboardImportProgress(t *testing.T) {
	in := pinnedPair(t)
	ctx := newBrowser(t) // after the servers: closed first, so their streams end
	file := filepath.Join(t.TempDir(), "year.csv")
	if err := os.WriteFile(file, certificatesCSV(t, 600), 0o600); err != nil {
		t.Fatal(err)
	}
	var link SigninLink
	apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
	do(t, ctx, "open the dashboard", chromedp.Navigate(in.URL+"/"))
	waitFor(t, ctx, "the sign-in form", visible("#code"))
	do(t, ctx, "sign in", chromedp.SetValue(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, ctx, "the overview", containsText("#identity", "Authority IN"))
	goTo(t, ctx, "#/import")
	waitFor(t, ctx, "the import form", visible("#import-form"))
	do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{file}))
	do(t, ctx, "upload", chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, ctx, "the publish bar at 100 %", `document.querySelector('#import-progress-publish[aria-valuenow="100"]') !== null`)
	waitFor(t, ctx, "the result", containsText("#import-result", "Imported year.csv"))
	for _, phase := range []string{"parse", "check", "publish"} {
		sel := "#import-progress-" + phase
		if got := eval[string](t, ctx, `document.querySelector('`+sel+`').getAttribute('role') + ' ' + document.querySelector('`+sel+`').getAttribute('aria-valuenow')`); got != "progressbar 100" {
			t.Errorf("%s: %q, want a progressbar at 100", phase, got)
		}
		if got := textOf(t, ctx, sel+"-text"); !strings.Contains(got, "100 % (600 of 600 records)") {
			t.Errorf("%s's label: %q", phase, got)
		}
	}
	checkAxe(t, ctx, loadAxe(t), "import with progress")
}
