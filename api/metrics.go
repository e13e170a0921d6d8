package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kpnode/kpnode/internal/buildinfo"
	"github.com/kpnode/kpnode/node"
)

// latencyBuckets are the upper bounds, in seconds, of the API latency
// histogram.
var latencyBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}

// metrics is what /metrics serves, on a registry of the handler's own:
// the node's status read at each scrape (statusCollector), the latency
// of the API's requests, libp2p's resource-manager metrics, the build
// (kpnode_build_info), and client_golang's process (CPU, memory, file
// descriptors) and Go runtime (goroutines, heap, GC) collectors.
type metrics struct {
	latency *prometheus.HistogramVec // by route pattern, method and status class
	serve   http.Handler
}

func newMetrics(b Backend) *metrics {
	reg := prometheus.NewRegistry()
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kpnode_api_request_seconds",
		Help:    "Duration of local API requests, by route pattern, method and status class.",
		Buckets: latencyBuckets,
	}, []string{"route", "method", "code"})
	reg.MustRegister(statusCollector{b}, latency, buildInfo(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	node.RegisterResourceMetrics(reg)
	// Uncompressed: a gzip writer is a 1.2 MB compressor that promhttp keeps
	// pooled for the next scrape, 2-3 MB of a hub's heap after a scrape, for
	// a body of tens of KB (docs/performance.md, "The whole network on one
	// box").
	serve := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError, DisableCompression: true})
	return &metrics{latency: latency, serve: serve}
}

// buildInfo is the kpnode_build_info gauge: 1, labelled with the version
// and commit of the running binary, so a dashboard can tell which build
// each node runs (the Go version is go_info's).
func buildInfo() prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "kpnode_build_info",
		Help:        "The running build: 1, labelled with its version (git describe) and commit.",
		ConstLabels: prometheus.Labels{"version": buildinfo.Version(), "commit": buildinfo.Commit()},
	})
	g.Set(1)
	return g
}

// observe counts one request of the route registered as pattern ("GET
// /api/findings/{id...}") that answered status after d. The labels come
// from the registered patterns, never from the request's path, so that
// their number stays bounded.
func (m *metrics) observe(pattern string, status int, d time.Duration) {
	method, route, _ := strings.Cut(pattern, " ")
	m.latency.WithLabelValues(route, method, statusClass(status)).Observe(d.Seconds())
}

// statusClass returns "2xx" for 200 … 299, and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// metrics serves /metrics in the Prometheus text format.
func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) error {
	h.met.serve.ServeHTTP(w, r)
	return nil
}

// statusWriter is a ResponseWriter that keeps the status answered; the
// ResponseController of a handler reaches the one it wraps (Unwrap), so
// event streams still flush.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// answered returns the status written, 200 when the handler wrote none.
func (w *statusWriter) answered() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
