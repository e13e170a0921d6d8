package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
)

// certificatesCSV writes n one-line certificates of IN, issued in 2025
// (so each is unconfirmed: finding R2), to BE or AE in turn, one quarter
// after another.
func certificatesCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n")
	for i := range n {
		dest := []string{"BE", "AE"}[i%2]
		month := 1 + 3*(i%4)
		fmt.Fprintf(&b, "IN%07d,IN,KP Authority of India,2025-%02d-10,2025-%02d-28,Exports Ltd,LIC-1,IN,Imports Ltd,LIC-2,%s,%s,MIXED,1,7102.31,100.00,15000.00\n",
			i+1, month, month+1, dest, dest)
	}
	return []byte(b.String())
}

// findingsNode is a node of IN that holds n R2 findings.
func findingsNode(t *testing.T, n int) *httptest.Server {
	t.Helper()
	in, _ := newTestAPI(t, "IN")
	p := filepath.Join(t.TempDir(), "certificates.csv")
	if err := os.WriteFile(p, certificatesCSV(t, n), 0o600); err != nil {
		t.Fatal(err)
	}
	importFile(t, in, "certificates", "", p)
	eventually(t, fmt.Sprintf("%d findings", n), func() error {
		var s node.FindingsSummary
		apiJSON(t, in, "GET", "/api/findings/summary", nil, &s)
		if s.Total != n {
			return fmt.Errorf("%d findings", s.Total)
		}
		return nil
	})
	return in
}

// findingsPages follows the cursor of /api/findings?query from the first
// page to the last and returns the ids in the order listed.
func findingsPages(t *testing.T, srv *httptest.Server, query string) []string {
	t.Helper()
	return findingsPagesFrom(t, srv, query, "")
}

// findingsPagesFrom is findingsPages from the page after cursor.
func findingsPagesFrom(t *testing.T, srv *httptest.Server, query, cursor string) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages: the cursor does not advance")
		}
		var page node.FindingsPage
		apiJSON(t, srv, "GET", "/api/findings?"+query+"&cursor="+url.QueryEscape(cursor), nil, &page)
		for _, f := range page.Findings {
			ids = append(ids, f.ID)
		}
		if page.Next == "" {
			return ids
		}
		cursor = page.Next
	}
}

// TestFindingsPagedAndGrouped: the findings come a page at a time, each
// once, in id order; the summary's groups count them; filters select
// within a group.
func TestFindingsPagedAndGrouped(t *testing.T) {
	const n = 60
	in := findingsNode(t, n)
	ids := findingsPages(t, in, "limit=7")
	if len(ids) != n || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != n {
		t.Fatalf("paged %d ids (want %d, sorted, once each): %v", len(ids), n, ids)
	}
	var s node.FindingsSummary
	apiJSON(t, in, "GET", "/api/findings/summary", nil, &s)
	if s.Open != n || len(s.ByRule) != 1 || s.ByRule[0].Key != "R2" {
		t.Fatalf("summary: %+v", s)
	}
	want := map[string]int{"AE": n / 2, "BE": n / 2}
	for _, g := range s.ByPartner {
		if want[g.Key] != g.Count {
			t.Errorf("partner %s: %d findings, want %d", g.Key, g.Count, want[g.Key])
		}
	}
	if len(s.ByPeriod) != 4 || s.ByPeriod[0].Key != "2025-Q4" || s.ByPeriod[3].Key != "2025-Q1" || s.ByPeriod[0].Count != n/4 {
		t.Errorf("by period: %+v", s.ByPeriod)
	}
	// Within a group: partner and period together.
	got := findingsPages(t, in, "limit=4&partner=be&period=2025-Q3") // i ≡ 2 (mod 4): BE, July
	if len(got) != n/4 {
		t.Errorf("BE in 2025-Q3: %d findings: %v", len(got), got)
	}
	var page node.FindingsPage
	apiJSON(t, in, "GET", "/api/findings?rule=R2&partner=AE&period=2025-Q2&limit=1000", nil, &page)
	for _, f := range page.Findings {
		if f.Partner != "AE" || f.Period != "2025-Q2" || f.Rule != "R2" {
			t.Errorf("filtered finding %s: partner %s, period %s", f.ID, f.Partner, f.Period)
		}
	}
	// Acknowledging one moves it from the open to the acknowledged ones.
	apiJSON(t, in, "POST", "/api/findings/ack", []byte(`{"id": "`+ids[3]+`"}`), nil)
	apiJSON(t, in, "GET", "/api/findings/summary?rule=R2", nil, &s)
	if s.Total != n || s.Open != n-1 {
		t.Errorf("after an acknowledgement: %d findings, %d open", s.Total, s.Open)
	}
	if acked := findingsPages(t, in, "acknowledged=true"); !slices.Equal(acked, ids[3:4]) {
		t.Errorf("acknowledged: %v, want %v", acked, ids[3:4])
	}
	if open := findingsPages(t, in, "open=true&limit=1000"); len(open) != n-1 || slices.Contains(open, ids[3]) {
		t.Errorf("open: %d", len(open))
	}
}

// TestFindingsCursorStable: findings that come and go between pages do
// not make the listing repeat or skip those present all along.
func TestFindingsCursorStable(t *testing.T) {
	in := findingsNode(t, 20)
	var first node.FindingsPage
	apiJSON(t, in, "GET", "/api/findings?limit=5", nil, &first)
	// Thirty more certificates, numbered after the first twenty.
	p := filepath.Join(t.TempDir(), "more.csv")
	more := strings.ReplaceAll(string(certificatesCSV(t, 30)), "IN00000", "IN00001")
	if err := os.WriteFile(p, []byte(more), 0o600); err != nil {
		t.Fatal(err)
	}
	importFile(t, in, "certificates", "", p)
	var ids []string
	for _, f := range first.Findings {
		ids = append(ids, f.ID)
	}
	ids = append(ids, findingsPagesFrom(t, in, "limit=6", first.Next)...)
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("ids repeat or out of order: %v", ids)
	}
	for i := 1; i <= 20; i++ {
		if id := fmt.Sprintf("R2/IN/IN%07d", i); !slices.Contains(ids, id) {
			t.Errorf("%s, present all along, was skipped", id)
		}
	}
}

// TestFindingsBadQuery: every bad parameter is a 400 that names it.
func TestFindingsBadQuery(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	for _, c := range []struct{ query, param string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=-1", "limit"}, {"limit=ten", "limit"},
		{"cursor=%21%21", "cursor"}, {"cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor"},
		{"cursor=" + url.QueryEscape("ZjE6PHNjcmlwdD4"), "cursor"},
		{"rule=R99", "rule"}, {"partner=XX", "partner"}, {"partner=%3Cb%3E", "partner"},
		{"period=2026-Q5", "period"}, {"period=26", "period"}, {"severity=high", "severity"},
		{"since=yesterday", "since"}, {"open=yes", "open"}, {"acknowledged=1", "acknowledged"},
	} {
		for _, path := range []string{"/api/findings?", "/api/findings/summary?"} {
			if path == "/api/findings/summary?" && (c.param == "limit" || c.param == "cursor") {
				continue
			}
			code, body := call(t, in, "GET", path+c.query, testToken, nil)
			var e struct{ Error Error }
			if err := json.Unmarshal(body, &e); code != http.StatusBadRequest || err != nil || !strings.Contains(e.Error.Message, `"`+c.param+`"`) {
				t.Errorf("%s%s: %d %s (want 400 naming %q)", path, c.query, code, body, c.param)
			}
		}
	}
}

// TestDashboardFindingsGroups: the findings page shows the groups first;
// a keyboard user picks a partner's group and pages through it; both views
// are axe-clean.
func TestDashboardFindingsGroups(t *testing.T) {
	src := loadAxe(t)
	const n = 250
	in := findingsNode(t, n)
	tab := newIncognito(t, newBrowser(t))
	signInBrowser(t, tab, in, "IN")
	goTo(t, tab, "#/findings")
	waitFor(t, tab, "the groups", visible(`#groups-partner tr[data-group="partner:AE"] a`))
	if got := textOf(t, tab, "#groups-period"); !strings.Contains(got, "2025-Q3") {
		t.Errorf("groups by period: %q", got)
	}
	checkAxe(t, tab, src, "findings, grouped")
	tabTo(t, tab, `#groups-partner tr[data-group="partner:AE"] a`)
	press(t, tab, "open AE's group", kb.Enter)
	waitFor(t, tab, "AE's findings", containsText("#findings-count", fmt.Sprintf("%d findings", n/2)))
	firstPage := rowIDs(t, tab)
	if len(firstPage) != 100 || !strings.Contains(textOf(t, tab, "#findings-table"), "AE") || strings.Contains(textOf(t, tab, "#findings-table tbody"), "BE") {
		t.Fatalf("AE's first page: %d rows", len(firstPage))
	}
	tabTo(t, tab, "#findings-next")
	press(t, tab, "next page", kb.Enter)
	waitFor(t, tab, "the second page", visible("#findings-first"))
	second := rowIDs(t, tab)
	if len(second) != n/2-100 || second[0] <= firstPage[len(firstPage)-1] {
		t.Fatalf("second page: %d rows from %v (first page ended at %s)", len(second), second[:1], firstPage[len(firstPage)-1])
	}
	if eval[bool](t, tab, `!!document.querySelector('#findings-next')`) {
		t.Error("the last page offers a next page")
	}
	checkAxe(t, tab, src, "findings, a group's second page")
	noPageErrors(t, tab)
}

// rowIDs returns the finding ids of the rows the findings table shows.
func rowIDs(t *testing.T, tab context.Context) []string {
	t.Helper()
	return eval[[]string](t, tab, `[...document.querySelectorAll('#findings-table tr[data-finding]')].map((r) => r.dataset.finding)`)
}

// TestFindingsFilteredPagesEqualFilter: for random filters (partner,
// period, rule, acknowledgement) and page sizes, following the pages
// gives exactly the findings that filtering the full list gives, in the
// same order.
func TestFindingsFilteredPagesEqualFilter(t *testing.T) {
	in := findingsNode(t, 40)
	var all node.FindingsPage
	apiJSON(t, in, "GET", "/api/findings?limit=1000", nil, &all)
	for _, i := range []int{3, 10, 17} {
		apiJSON(t, in, "POST", "/api/findings/ack", []byte(`{"id": "`+all.Findings[i].ID+`"}`), nil)
	}
	apiJSON(t, in, "GET", "/api/findings?limit=1000", nil, &all)
	rng := rand.New(rand.NewPCG(16, 14))
	pick := func(from ...string) string { return from[rng.IntN(len(from))] }
	for range 40 {
		partner, period := pick("", "BE", "AE", "ZA", "none"), pick("", "2025-Q1", "2025-Q3", "2025-Q4", "2026-Q1")
		rule, ack := pick("", "R2", "R9"), pick("", "open", "acknowledged")
		severity, since := pick("", "", "warning", "critical"), pick("", "", "2025-09-01", "2026-01-01")
		var want []string
		for _, f := range all.Findings {
			if (partner == "" || partner == f.Partner || partner == "none" && f.Partner == "") &&
				(period == "" || period == f.Period) && (rule == "" || rule == f.Rule) &&
				(ack != "open" || f.Ack == nil) && (ack != "acknowledged" || f.Ack != nil) &&
				(severity == "" || reconcile.Query{Severity: reconcile.Severity(severity)}.Match(f.Finding)) &&
				(since == "" || !f.Since.Before(dateTime(t, since))) {
				want = append(want, f.ID)
			}
		}
		query := fmt.Sprintf("limit=%d&partner=%s&period=%s&rule=%s&severity=%s&since=%s", 1+rng.IntN(9), partner, period, rule, severity, since)
		if ack != "" {
			query += "&" + ack + "=true"
		}
		if got := findingsPages(t, in, query); !slices.Equal(got, want) {
			t.Fatalf("%s:\ngot  %q\nwant %q", query, got, want)
		}
	}
}

// dateTime returns the start of day YYYY-MM-DD, as the API reads since.
func dateTime(t *testing.T, s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
