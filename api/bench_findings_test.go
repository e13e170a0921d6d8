package api

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/kpnode/kpnode/tabular"
)

// BenchmarkFindingsAtScale measures issue 14's findings targets on a node
// holding 200,000 findings, raised by the real reconciliation of 200,000
// imported certificates (one line each, to BE and AE, over the four
// quarters of 2025; each unconfirmed: R2): the first page of
// /api/findings (time and size), a page deep in the list, a page filtered
// to an empty group and one of a large group, the first page after a finding came (the ids sorted
// again), the grouped summary (counted afresh, and kept), and the
// dashboard's findings page in real Chromium until its groups and first
// page show. The machine is shared, so each figure also comes as a ratio
// to a baseline of the same run: one record read through the API
// (GET /api/records/IN/1, an entry of one certificate: HTTP, the bearer
// token, one Badger read, the record decrypted and encoded). Each
// figure is the median of 5 requests, and the benchmark reports the
// median of each over its iterations (-benchtime 3x: three runs on the
// one node, whose setup, the import and reconciliation of 200,000
// certificates, is half of a run's time). -short holds 2,000 findings.
func BenchmarkFindingsAtScale(b *testing.B) {
	n := 200000
	if testing.Short() {
		n = 2000
	}
	srv, nd := benchFindingsNode(b, n)
	var runs []map[string]float64
	for b.Loop() {
		runs = append(runs, measureFindings(b, srv, nd, n))
	}
	m := medianOfRuns(runs)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.ReportMetric(m[k], k)
	}
}

// medianOfRuns returns, for every figure of runs, the median of its
// values over the runs that have it (the mean of the middle two for an
// even count).
func medianOfRuns(runs []map[string]float64) map[string]float64 {
	values := map[string][]float64{}
	for _, r := range runs {
		for k, v := range r {
			values[k] = append(values[k], v)
		}
	}
	out := make(map[string]float64, len(values))
	for k, vs := range values {
		slices.Sort(vs)
		mid := len(vs) / 2
		if len(vs)%2 == 1 {
			out[k] = vs[mid]
		} else {
			out[k] = (vs[mid-1] + vs[mid]) / 2
		}
	}
	return out
}

// benchFindingsNode is a node of IN holding n R2 findings; setup is not
// timed.
func benchFindingsNode(b *testing.B, n int) (*httptest.Server, *node.Node) {
	b.Helper()
	srv, nd := diskTestAPI(b, "IN")
	kind, _ := tabular.LookupKind("certificates")
	items, err := tabular.ReadTable(kind, "bench.csv", bytes.NewReader(certificatesCSV(b, n)), "csv")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	// The first certificate alone: entry 1 holds one record, the baseline.
	for _, part := range [][][]byte{items[:1], items[1:]} {
		if res, err := nd.Import(context.Background(), protocol.CertificateType, part, nil, false); err != nil || res.New != len(part) {
			b.Fatalf("import: %+v, %v", res, err)
		}
	}
	for deadline := time.Now().Add(5 * time.Minute); nd.FindingsSummary(node.FindingsQuery{}).Total != n; {
		if time.Now().After(deadline) {
			b.Fatalf("%d findings after 5 minutes, want %d", nd.FindingsSummary(node.FindingsQuery{}).Total, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Logf("imported %d certificates and reconciled them in %s", n, time.Since(start).Round(time.Millisecond))
	return srv, nd
}

// diskTestAPI is newTestAPI on a store on disk, as a daemon's: the
// in-memory store takes no entry over 1 MiB, and a full batch of
// certificates, sealed, is a little more.
func diskTestAPI(b *testing.B, code string) (*httptest.Server, *node.Node) {
	b.Helper()
	st, err := store.Open(store.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	id, err := crypto.NewIdentity()
	if err != nil {
		b.Fatal(err)
	}
	cfg := node.DefaultConfig(code, "Authority "+code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n, err := node.New(cfg, id, st, nil)
	if err == nil {
		err = n.Start(context.Background())
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	srv := httptest.NewServer(mustHandler(b, n))
	b.Cleanup(srv.Close)
	return srv, n
}

// measureFindings takes every figure once (each a median of 5).
func measureFindings(b *testing.B, srv *httptest.Server, nd *node.Node, n int) map[string]float64 {
	m := map[string]float64{"findings": float64(n)}
	base := medianMs(func() { benchGet(b, srv, "/api/records/IN/1") })
	m["record_ms"] = base
	var size int
	m["first_page_ms"] = medianMs(func() { size = len(benchGet(b, srv, "/api/findings")) })
	m["first_page_KB"] = float64(size) / 1024
	deep := deepCursor(b, srv)
	m["deep_page_ms"] = medianMs(func() { benchGet(b, srv, "/api/findings?cursor="+url.QueryEscape(deep)) })
	// AE has no finding in 2025-Q3 (odd certificates go to AE, in Q2 and
	// Q4): an empty group, the worst case of a scan. BE's 2025-Q3 holds
	// 50,000 findings: a full page of a large group.
	m["group_page_ms"] = medianMs(func() { benchGet(b, srv, "/api/findings?limit=100&partner=AE&period=2025-Q3&open=true") })
	m["large_group_page_ms"] = medianMs(func() { benchGet(b, srv, "/api/findings?limit=100&partner=BE&period=2025-Q3&open=true") })
	m["summary_ms"] = medianMs(func() {
		benchGet(b, srv, "/api/findings/summary")
		benchGet(b, srv, "/api/findings/summary?open=true") // the other query: each counts afresh
	}) / 2
	m["summary_kept_ms"] = medianMs(func() { benchGet(b, srv, "/api/findings/summary?open=true") })
	m["page_after_change_ms"] = median(func() time.Duration {
		addCertificate(b, nd)
		start := time.Now()
		benchGet(b, srv, "/api/findings")
		return time.Since(start)
	})
	m["dashboard_open_ms"] = dashboardOpenMs(b, srv, nd)
	for _, k := range []string{"first_page", "deep_page", "group_page", "large_group_page", "summary", "page_after_change", "dashboard_open"} {
		m[k+"/record"] = m[k+"_ms"] / base
	}
	return m
}

// deepCursor is the cursor of a page near the end of the list: the id of
// the finding 100 before the last, encoded as the API encodes it.
func deepCursor(b *testing.B, srv *httptest.Server) string {
	b.Helper()
	// Walk to the end a thousand at a time: this is setup, not measured.
	cursor, prev := "", ""
	for {
		var page node.FindingsPage
		apiJSON(b, srv, "GET", fmt.Sprintf("/api/findings?limit=%d&cursor=%s", node.MaxFindingsPage, url.QueryEscape(cursor)), nil, &page)
		if page.Next == "" {
			return prev
		}
		prev, cursor = cursor, page.Next
	}
}

var benchSerial = 9000000

// addCertificate imports one more certificate: one more finding, so the
// ids are sorted again at the next page.
func addCertificate(b *testing.B, nd *node.Node) {
	b.Helper()
	benchSerial++
	line := fmt.Sprintf("IN%07d,IN,KP Authority of India,2025-02-10,2025-03-28,Exports Ltd,LIC-1,IN,Imports Ltd,LIC-2,BE,BE,MIXED,1,7102.31,100.00,15000.00\n", benchSerial)
	csv := bytes.SplitN(certificatesCSV(b, 0), []byte("\n"), 2)[0]
	kind, _ := tabular.LookupKind("certificates")
	items, err := tabular.ReadTable(kind, "one.csv", bytes.NewReader(append(append(csv, '\n'), line...)), "csv")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := nd.Import(context.Background(), protocol.CertificateType, items, nil, false); err != nil {
		b.Fatal(err)
	}
	// Wait by the finding's id: listing would sort the ids before the
	// page measured does.
	id := fmt.Sprintf("R2/IN/IN%07d", benchSerial)
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := nd.FindingView(id); err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("no new finding within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dashboardOpenMs opens the dashboard's findings page in Chromium 5 times,
// each after a new finding (so the node sorts and counts afresh), and
// returns the median time until its groups and first page show.
func dashboardOpenMs(b *testing.B, srv *httptest.Server, nd *node.Node) float64 {
	b.Helper()
	if chromiumPath() == "" {
		b.Log("no Chromium: dashboard_open_ms not measured")
		return 0
	}
	tab := newIncognito(b, newBrowser(b))
	signInBrowser(b, tab, srv, "IN")
	return median(func() time.Duration {
		goTo(b, tab, "#/records")
		waitFor(b, tab, "the records", visible("#records-table"))
		addCertificate(b, nd)
		start := time.Now()
		goTo(b, tab, "#/findings")
		do(b, tab, "wait for the findings page", chromedp.Poll[chromedp.Void](visible("#findings-table")+" && "+visible("#groups-period"),
			chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(browserWait)))
		return time.Since(start)
	})
}

// medianMs runs f 5 times and returns the median duration in ms.
func medianMs(f func()) float64 {
	return median(func() time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	})
}

// median runs f 5 times and returns the median of the durations it
// returns, in ms.
func median(f func() time.Duration) float64 {
	var ds []float64
	for range 5 {
		ds = append(ds, float64(f().Microseconds())/1000)
	}
	slices.Sort(ds)
	return ds[2]
}

// benchGet GETs path with the token and returns the body; anything but
// 200 fails the benchmark.
func benchGet(b *testing.B, srv *httptest.Server, path string) []byte {
	b.Helper()
	code, body := call(b, srv, "GET", path, testToken, nil)
	if code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func TestMedianOfRuns(t *testing.T) {
	runs := []map[string]float64{{"a": 5, "b": 1}, {"a": 1, "b": 4}, {"a": 9}}
	got := medianOfRuns(runs)
	if len(got) != 2 || got["a"] != 5 || got["b"] != 2.5 {
		t.Fatalf("medianOfRuns = %v, want a 5 (middle of 1, 5, 9), b 2.5 (mean of the middle two of 1, 4)", got)
	}
	if got := medianOfRuns(runs[:1]); got["a"] != 5 || got["b"] != 1 {
		t.Fatalf("medianOfRuns of one run = %v, want the run itself", got)
	}
}
