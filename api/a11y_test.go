package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axePath is where `make axe` (and .ci/run) installs npm's axe-core for
// the accessibility checks; KPNODE_AXE overrides it.
const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

var axeSource = sync.OnceValues(func() (string, error) {
	p := os.Getenv("KPNODE_AXE")
	if p == "" {
		p = axePath
	}
	b, err := os.ReadFile(p)
	return string(b), err
})

// loadAxe returns axe-core's source. Without it the accessibility checks
// are skipped with the reason, except under CI (CI set), where they fail:
// CI installs it.
func loadAxe(t *testing.T) string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		msg := fmt.Sprintf("axe-core is not installed (%v): run make axe (npm install in api/testdata/axe)", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return src
}

// axeViolation is one failed axe-core rule and where it failed.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAxe runs axe-core's WCAG 2.1 A and AA rules on the page shown in
// ctx and fails the test with every violation.
func checkAxe(t *testing.T, ctx context.Context, src, page string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Evaluate[bool](`typeof axe !== 'undefined' || (function(){`+src+`
;return true})()`)); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(c, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then((r) => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core on %s: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core's answer on %s: %v", page, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		t.Errorf("%s: axe %s (%s) at\n  %s", page, v.ID, v.Help, strings.Join(where, "\n  "))
	}
}

// TestDashboardAccessible runs axe-core on every page of the dashboard,
// with data in it (a partner's notice, question and certificates, a
// finding, charts), and on the notice form showing its errors.
func TestDashboardAccessible(t *testing.T) {
	src := loadAxe(t)
	in, be := pairNodes(t)
	ctx := newBrowser(t)
	query := readExample(t, "anomaly_query.json")
	req, _ := json.Marshal(PublishRequest{To: []string{"IN"}, Record: []byte(query)})
	apiJSON(t, be, "POST", "/api/records/anomaly_query", req, nil)
	req, _ = json.Marshal(PublishRequest{To: []string{"IN"}, Record: []byte(noticeBy(t, "BE", "Forged certificates seen in Antwerp"))})
	var notice struct{ Seq uint64 }
	apiJSON(t, be, "POST", "/api/records/notice", req, &notice)
	importFile(t, in, "trade-statistics", "", "../docs/examples/import/trade-statistics.csv")
	const finding = "R1/IN/IN0012006"
	makeMismatch(t, in, be, finding)

	tab := newIncognito(t, ctx)
	do(t, tab, "open the dashboard", chromedp.Navigate(in.URL+"/"))
	waitFor(t, tab, "the sign-in form", visible("#code"))
	checkAxe(t, tab, src, "sign-in")
	signInBrowser(t, tab, in, "IN")
	pages := []struct{ hash, ready string }{
		{"#/", "#inbox-notices"},
		{"#/records", "#records-table"},
		{"#/records?type=certificate", "#records-table"},
		{fmt.Sprintf("#/records/BE/%d", notice.Seq), "#notice-ack"},
		{"#/feeds", "#view table"},
		{"#/feeds/BE", "#view table"},
		{"#/findings", "#findings-table"},
		{"#/findings/" + finding, "#finding-numbers"},
		{"#/charts", "#chart-unit svg"},
		{"#/calendar", "#calendar-summary"},
		{"#/report", "#report-form"},
		{"#/notice", "#notice-form"},
		{"#/query", "#query-form"},
		{"#/import", "#import-form"},
		{"#/awaiting", "#awaiting-table"},
		{"#/reference", "#reference table"},
		{"#/audit", "#audit-table"},
	}
	for _, p := range pages {
		goTo(t, tab, p.hash)
		waitFor(t, tab, p.hash, visible(p.ready))
		checkAxe(t, tab, src, p.hash)
	}
	// The findings' partner filter offers the participants findings name
	// that are not partners (certificates to AE are unconfirmed).
	goTo(t, tab, "#/findings")
	waitFor(t, tab, "the partner filter", visible("#filter-partner"))
	if opts := eval[string](t, tab, `[...document.querySelectorAll('#filter-partner option')].map((o) => o.textContent).join('|')`); !strings.Contains(opts, "AE (not a partner)") || !strings.Contains(opts, "BE · Authority BE") {
		t.Errorf("partner filter options: %s", opts)
	}
	// The skip link is the first stop of the keyboard and leads to the page.
	do(t, tab, "load the overview afresh", chromedp.Navigate(in.URL+"/#/"), chromedp.Reload())
	waitFor(t, tab, "the overview", visible("#inbox"))
	press(t, tab, "Tab", kb.Tab)
	if got := eval[string](t, tab, `document.activeElement.id + ':' + document.activeElement.innerText`); got != "skip:Skip to the content" {
		t.Fatalf("the first Tab reaches %q, not the skip link", got)
	}
	press(t, tab, "follow the skip link", kb.Enter)
	if !eval[bool](t, tab, `document.activeElement === document.getElementById('view')`) {
		t.Fatal("the skip link does not move the focus to the page")
	}
	// A question to answer, and the notice form with its errors shown.
	clickLink(t, tab, "the overview", "#nav", "Overview")
	clickLink(t, tab, "BE's question", "#inbox-questions", "BE-AQ-2026-0012")
	waitFor(t, tab, "the answer form", visible("#answer-form"))
	checkAxe(t, tab, src, "a question to answer")
	goTo(t, tab, "#/notice")
	click(t, tab, "send an empty notice", `#notice-form button[type=submit]`)
	waitFor(t, tab, "the errors", visible(".has-error"))
	checkAxe(t, tab, src, "the notice form with errors")
	noPageErrors(t, tab)
}
