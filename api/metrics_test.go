package api

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the metrics tests")

// metricsBackend is a Backend with a fixed status, findings and store
// size, for the metrics tests; any other method panics (nil Backend).
type metricsBackend struct {
	Backend
	status   node.Status
	findings []reconcile.Finding
}

func (b *metricsBackend) Status() (node.Status, error) { return b.status, nil }
func (b *metricsBackend) StoreSize() (int64, error)    { return 1 << 20, nil }
func (b *metricsBackend) FindingCounts() []reconcile.FindingCount {
	counts := map[reconcile.FindingCount]int{}
	for _, f := range b.findings {
		counts[reconcile.FindingCount{Rule: f.Rule, Severity: f.Severity}]++
	}
	var out []reconcile.FindingCount
	for c, n := range counts {
		c.Count = n
		out = append(out, c)
	}
	return out
}

// fixedMetricsBackend has a series in every family /metrics serves: two
// partners, a rejection, other events, findings of two rules.
func fixedMetricsBackend() *metricsBackend {
	return &metricsBackend{
		status: node.Status{
			Counters: map[string]uint64{"entries_published": 3, "entries_received": 5,
				"rejected_bad_signature": 2, "sync_failures": 1, "held_pushes": 4},
			Partners: []node.PartnerStatus{
				{Code: "BE", Connected: true, Undelivered: 2, TheirHead: 9, OurCopy: 7,
					PeerScore: node.PeerScore{Score: -1.5, InvalidMessages: 0.25, SyncAbuse: 3}, Graylisted: 1},
				{Code: "AE", Undelivered: 0, TheirHead: 1, OurCopy: 1, CoolOffUntil: time.Unix(1e9, 0)},
			},
		},
		findings: []reconcile.Finding{
			{ID: "R2/IN/IN1", Rule: "R2", Severity: reconcile.Warning, Partner: "BE"},
			{ID: "R2/IN/IN2", Rule: "R2", Severity: reconcile.Warning, Partner: "BE"},
			{ID: "R9/x", Rule: "R9", Severity: reconcile.Critical, Partner: "AE"},
		},
	}
}

// TestMetricsGolden checks that the metric families /metrics serves keep
// their names, help, types, label sets and values (testdata/metrics.golden;
// go test -run TestMetricsGolden -update ./api/ rewrites it). The API
// latency histogram is compared by its label names only.
func TestMetricsGolden(t *testing.T) {
	srv := httptest.NewServer(mustHandler(t, fixedMetricsBackend()))
	t.Cleanup(srv.Close)
	if code, body := call(t, srv, "GET", "/api/status", testToken, nil); code != 200 {
		t.Fatalf("status: %d %s", code, body) // one request timed, whatever the route
	}
	code, body := call(t, srv, "GET", "/metrics", testToken, nil)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	got := canonicalMetrics(t, body)
	const golden = "testdata/metrics.golden"
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("metrics changed; got:\n%s\nwant:\n%s", got, want)
	}
}

// canonicalMetrics parses an exposition in the Prometheus text format and
// writes its families sorted by name, each series sorted, so that two
// expositions of the same metrics compare equal whatever their order.
// The process and Go runtime families (client_golang's collectors) are
// written by name and type only: their values and help change by run and
// by library version.
func canonicalMetrics(t *testing.T, body []byte) string {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, body)
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(fams)) {
		f := fams[name]
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			fmt.Fprintf(&b, "# TYPE %s %s\n", name, strings.ToLower(f.GetType().String()))
			continue
		}
		if !strings.HasPrefix(name, "kpnode_") {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, f.GetHelp(), name, strings.ToLower(f.GetType().String()))
		var lines []string
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(labels)
			series := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetHistogram() != nil:
				lines = append(lines, series+" histogram")
			case m.GetCounter() != nil:
				lines = append(lines, fmt.Sprintf("%s %g", series, m.GetCounter().GetValue()))
			default:
				lines = append(lines, fmt.Sprintf("%s %g", series, m.GetGauge().GetValue()))
			}
		}
		slices.Sort(lines)
		lines = slices.Compact(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// hostileLabel holds what the text format must escape (quote, backslash,
// newline), what it must not (a tab, non-ASCII letters, a zero-width
// space: Go's %q escapes them, a scraper reads the escapes literally or
// refuses them) and a byte that is not UTF-8.
const hostileLabel = "Cô\"te\\d'I\nvoire\t\u200b\xff"

// TestMetricsLabelsEscaped: a partner and a rejection reason whose names
// hold hostile characters come out of /metrics as the same text, once
// parsed by Prometheus's own parser (invalid UTF-8 as U+FFFD, the only
// change the format forces).
func TestMetricsLabelsEscaped(t *testing.T) {
	b := fixedMetricsBackend()
	b.status.Partners[0].Code = hostileLabel
	b.status.Counters["rejected_"+hostileLabel] = 7
	srv := httptest.NewServer(mustHandler(t, b))
	t.Cleanup(srv.Close)
	code, body := call(t, srv, "GET", "/metrics", testToken, nil)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, body)
	}
	want := strings.ToValidUTF8(hostileLabel, "\uFFFD")
	for name, label := range map[string]string{"kpnode_partner_undelivered": "partner", "kpnode_entries_rejected_total": "reason"} {
		found := false
		for _, m := range fams[name].GetMetric() {
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == label && l.GetValue() == want
			}
		}
		if !found {
			t.Errorf("%s has no %s=%q:\n%s", name, label, want, body)
		}
	}
}

// TestMetricsUncompressed: /metrics answers plain text even to a scraper
// offering gzip. A gzip writer is a 1.2 MB compressor that promhttp pools
// for the next scrape: after `testnet stats` it was 2-3 MB of the hub's
// heap, for a body of a few tens of KB that travels over loopback or a LAN.
func TestMetricsUncompressed(t *testing.T) {
	srv := httptest.NewServer(mustHandler(t, fixedMetricsBackend()))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest("GET", srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept-Encoding", "gzip, zstd") // set by hand: the client does not decompress it
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", resp.StatusCode, body)
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" {
		t.Fatalf("metrics answered with Content-Encoding %q, want none", enc)
	}
	if !bytes.Contains(body, []byte("# TYPE kpnode_build_info gauge")) {
		t.Fatalf("metrics body is not the text format: %.80q", body)
	}
}
