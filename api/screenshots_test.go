package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/node"
)

// TestScreenshots writes the dashboard's screenshots (1280×800) to the
// directory named by KPNODE_SCREENSHOTS, from two real nodes with a few
// months of data: `make screenshots`. It is skipped otherwise.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("KPNODE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set KPNODE_SCREENSHOTS=DIR to write the dashboard's screenshots (make screenshots)")
	}
	in := screenshotData(t)
	ctx := newBrowser(t)
	var link SigninLink
	apiJSON(t, in, "POST", "/api/signin-links", nil, &link)
	do(t, ctx, "open the sign-in link", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(link.URL))
	waitFor(t, ctx, "BE connected", visible(`tr[data-partner="BE"][data-connected="true"]`))
	waitFor(t, ctx, "the activity", visible("#activity-list"))
	waitFor(t, ctx, "the finding counts", visible("#finding-counts .counts"))
	shoot(t, ctx, dir, "overview")
	goTo(t, ctx, "#/records")
	waitFor(t, ctx, "the records", visible("#records-table"))
	shoot(t, ctx, dir, "records")
	goTo(t, ctx, "#/findings")
	waitFor(t, ctx, "the findings", visible("#findings-table"))
	shoot(t, ctx, dir, "findings")
	goTo(t, ctx, "#/findings/R1/IN/IN0012006")
	waitFor(t, ctx, "the finding", visible("#finding-records"))
	shoot(t, ctx, dir, "finding-detail")
	goTo(t, ctx, "#/import")
	waitFor(t, ctx, "the import form", visible("#import-form"))
	do(t, ctx, "upload a bad file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{badCertificatesCSV(t)}),
		chromedp.Click(chromedp.ID("import-to-BE")), chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, ctx, "the bad rows", visible("#import-rows"))
	do(t, ctx, "scroll to the form", chromedp.ScrollIntoView(chromedp.ID("import-form")))
	shoot(t, ctx, dir, "import")
	goTo(t, ctx, "#/charts")
	waitFor(t, ctx, "the charts", visible("#chart-mirror svg"))
	waitFor(t, ctx, "the unit values", visible("#chart-unit svg"))
	shoot(t, ctx, dir, "charts")
	goTo(t, ctx, "#/calendar")
	waitFor(t, ctx, "the calendar", visible("#calendar-summary"))
	shoot(t, ctx, dir, "calendar")
	noPageErrors(t, ctx)
}

// shoot writes the viewport as DIR/NAME.png.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// screenshotData starts IN and BE, pins them, and gives them certificates,
// confirmations (one that does not match), a year of mirror statistics,
// notices each way, an acknowledged finding and a delivery backlog that
// builds up while BE is paused and then drains.
func screenshotData(t *testing.T) *httptest.Server {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	makeMismatch(t, in, be, "R1/IN/IN0012006")
	importBody(t, in, "certificates", "BE", "history.csv", generatedCertificates())
	importBody(t, in, "trade-statistics", "BE", "in-stats.csv", mirrorStatistics("IN", "BE", 1))
	importBody(t, be, "trade-statistics", "IN", "be-stats.csv", mirrorStatistics("BE", "IN", 1.04))
	publishExample(t, in, "BE", "notice.json")
	publishExample(t, be, "IN", "notice-enhanced-vigilance.json")
	ackOne(t, in, "R2")
	backlog(t, in)
	return in
}

// ackOne acknowledges the first finding of rule.
func ackOne(t *testing.T, in *httptest.Server, rule string) {
	var page struct{ Findings []struct{ ID string } }
	apiJSON(t, in, "GET", "/api/findings?rule="+rule, nil, &page)
	fs := page.Findings
	if len(fs) == 0 {
		t.Fatalf("no %s finding to acknowledge", rule)
	}
	apiJSON(t, in, "POST", "/api/findings/ack", []byte(`{"id": "`+fs[0].ID+`", "note": "Checked with BE: the goods are held in customs."}`), nil)
}

// backlog pauses BE on IN, publishes while it is paused for two delivery
// samples, and resumes it.
func backlog(t *testing.T, in *httptest.Server) {
	apiJSON(t, in, "POST", "/api/partners/BE/pause", nil, nil)
	for range 6 {
		publishExample(t, in, "BE", "notice-suspicious-shipment.json")
	}
	waitSamples(t, in, func(s []node.DeliverySample) bool {
		return len(s) >= 2 && s[len(s)-1].Undelivered > 0 && s[len(s)-2].Undelivered > 0
	})
	apiJSON(t, in, "POST", "/api/partners/BE/resume", nil, nil)
	waitSamples(t, in, func(s []node.DeliverySample) bool { return len(s) > 0 && s[len(s)-1].Undelivered == 0 })
}

func waitSamples(t *testing.T, in *httptest.Server, ok func([]node.DeliverySample) bool) {
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		var h node.DeliveryHistory
		apiJSON(t, in, "GET", "/api/delivery/history", nil, &h)
		if ok(h.Partners["BE"]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery history: %+v", h)
		}
	}
}

func publishExample(t *testing.T, srv *httptest.Server, to, name string) {
	b, err := os.ReadFile("../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(PublishRequest{To: []string{to}, Record: b})
	apiJSON(t, srv, "POST", "/api/records/notice", req, nil)
}

func importBody(t *testing.T, srv *httptest.Server, kind, to, file, body string) {
	apiJSON(t, srv, "POST", "/api/imports/"+kind+"?to="+to+"&file="+file, []byte(body), nil)
}

// generatedCertificates is a CSV of 40 certificates of Botswanan gem
// rough to BE over two years, around USD 190/ct, two of them far off.
func generatedCertificates() string {
	var b strings.Builder
	b.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n")
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		issued := start.AddDate(0, 0, 16*i)
		carats := 300 + float64((i*137)%900)
		price := 190 * (1 + 0.3*math.Sin(float64(i)*1.7))
		switch i {
		case 13:
			price = 940
		case 29:
			price = 31
		}
		fmt.Fprintf(&b, "IN%07d,IN,KP Authority of India,%s,%s,Shree Ram Diamonds Pvt Ltd,GJEPC/KP/2026/01873,IN,Antwerp Rough Trading BV,FOD-DIA-004512,BE,BE,BW,2,7102.31,%.2f,%.2f\n",
			12100+i, issued.Format("2006-01-02"), issued.AddDate(0, 2, 0).Format("2006-01-02"), carats, carats*price)
	}
	return b.String()
}

// mirrorStatistics is a CSV of reporter's quarterly trade with partner
// (gem rough both ways); factor scales the figures, and the partner
// reports 2026-Q2 exports far above what reporter saw arrive.
func mirrorStatistics(reporter, partner string, factor float64) string {
	var b strings.Builder
	b.WriteString("reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n")
	for i, q := range []string{"2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"} {
		exp := (800000 + 150000*float64(i)) * factor
		imp := (2900000 - 200000*float64(i)) * factor
		if reporter == "BE" {
			exp, imp = imp, exp
			if q == "2026-Q2" {
				exp *= 1.35
			}
		}
		fmt.Fprintf(&b, "%s,%s,export,%s,7102.31,%.2f,%.2f,%d\n", reporter, q, partner, exp, exp*150, int(exp/1500))
		fmt.Fprintf(&b, "%s,%s,import,%s,7102.31,%.2f,%.2f,%d\n", reporter, q, partner, imp, imp*130, int(imp/1600))
	}
	return b.String()
}
