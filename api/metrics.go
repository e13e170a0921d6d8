package api

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
)

// latencyBuckets are the upper bounds, in seconds, of the API latency
// histogram.
var latencyBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}

// latencies is a Prometheus-style cumulative histogram of API request
// durations.
type latencies struct {
	mu     sync.Mutex // guards the fields below
	counts []uint64   // per bucket, not cumulative
	sum    float64
	n      uint64
}

func newLatencies() *latencies { return &latencies{counts: make([]uint64, len(latencyBuckets)+1)} }

func (l *latencies) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	l.mu.Lock()
	l.counts[i]++
	l.sum += s
	l.n++
	l.mu.Unlock()
}

func (l *latencies) write(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprint(w, "# HELP kpnode_api_request_seconds Duration of local API requests.\n# TYPE kpnode_api_request_seconds histogram\n")
	var cum uint64
	for i, b := range latencyBuckets {
		cum += l.counts[i]
		fmt.Fprintf(w, "kpnode_api_request_seconds_bucket{le=\"%g\"} %d\n", b, cum)
	}
	fmt.Fprintf(w, "kpnode_api_request_seconds_bucket{le=\"+Inf\"} %d\nkpnode_api_request_seconds_sum %g\nkpnode_api_request_seconds_count %d\n", l.n, l.sum, l.n)
}

// metrics serves /metrics in the Prometheus text format.
func (h *Handler) metrics(w http.ResponseWriter, _ *http.Request) error {
	s, err := h.b.Status()
	if err != nil {
		return err
	}
	var b strings.Builder
	writeCounters(&b, s.Counters)
	writePartners(&b, s.Partners)
	writeFindings(&b, h.b.Findings(reconcile.Query{}))
	if size, err := h.b.StoreSize(); err == nil {
		gauge(&b, "kpnode_store_bytes", "Bytes the store occupies on disk.", float64(size))
	}
	h.lat.write(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, err = io.WriteString(w, b.String())
	return err
}

func gauge(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
}

func writeCounters(w io.Writer, c map[string]uint64) {
	fmt.Fprint(w, "# HELP kpnode_entries_total Entries published and received by this node.\n# TYPE kpnode_entries_total counter\n")
	fmt.Fprintf(w, "kpnode_entries_total{event=\"published\"} %d\nkpnode_entries_total{event=\"received\"} %d\n", c["entries_published"], c["entries_received"])
	fmt.Fprint(w, "# HELP kpnode_entries_rejected_total Entries refused, by reason.\n# TYPE kpnode_entries_rejected_total counter\n")
	for _, k := range sortedKeys(c) {
		if reason, ok := strings.CutPrefix(k, "rejected_"); ok {
			fmt.Fprintf(w, "kpnode_entries_rejected_total{reason=%q} %d\n", reason, c[k])
		}
	}
	fmt.Fprint(w, "# HELP kpnode_events_total Other counted events (sync failures, held pushes, invalid records).\n# TYPE kpnode_events_total counter\n")
	for _, k := range sortedKeys(c) {
		if !strings.HasPrefix(k, "rejected_") && !strings.HasPrefix(k, "entries_") {
			fmt.Fprintf(w, "kpnode_events_total{event=%q} %d\n", k, c[k])
		}
	}
}

func writePartners(w io.Writer, ps []node.PartnerStatus) {
	connected := 0
	fmt.Fprint(w, "# HELP kpnode_partner_undelivered Own entries a partner has not receipted yet.\n# TYPE kpnode_partner_undelivered gauge\n")
	for _, p := range ps {
		fmt.Fprintf(w, "kpnode_partner_undelivered{partner=%q} %d\n", p.Code, p.Undelivered)
		if p.Connected {
			connected++
		}
	}
	fmt.Fprint(w, "# HELP kpnode_partner_lag Entries of a partner's own feed this node does not hold yet.\n# TYPE kpnode_partner_lag gauge\n")
	for _, p := range ps {
		fmt.Fprintf(w, "kpnode_partner_lag{partner=%q} %d\n", p.Code, p.Behind())
	}
	gauge(w, "kpnode_partners_connected", "Pinned partners connected now.", float64(connected))
	gauge(w, "kpnode_partners", "Pinned partners.", float64(len(ps)))
	writeScores(w, ps)
}

// writeScores writes what peer scoring holds against each partner.
func writeScores(w io.Writer, ps []node.PartnerStatus) {
	series := []struct {
		name, kind, help string
		value            func(node.PartnerStatus) float64
	}{
		{"kpnode_partner_score", "gauge", "Gossipsub peer score of a partner (negative: penalised; graylisted under -1000).",
			func(p node.PartnerStatus) float64 { return p.PeerScore.Score }},
		{"kpnode_partner_invalid_messages", "gauge", "Invalid pushed entries held against a partner (decaying).",
			func(p node.PartnerStatus) float64 { return p.PeerScore.InvalidMessages }},
		{"kpnode_partner_sync_abuse", "gauge", "Sync abuse points held against a partner (decaying).",
			func(p node.PartnerStatus) float64 { return p.PeerScore.SyncAbuse }},
		{"kpnode_partner_cooling_off", "gauge", "1 while a graylisted partner is disconnected and refused.",
			func(p node.PartnerStatus) float64 { return map[bool]float64{true: 1}[!p.CoolOffUntil.IsZero()] }},
		{"kpnode_partner_graylisted_total", "counter", "Times a partner fell under the graylist threshold.",
			func(p node.PartnerStatus) float64 { return float64(p.Graylisted) }},
	}
	for _, s := range series {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", s.name, s.help, s.name, s.kind)
		for _, p := range ps {
			fmt.Fprintf(w, "%s{partner=%q} %g\n", s.name, p.Code, s.value(p))
		}
	}
}

func writeFindings(w io.Writer, fs []reconcile.Finding) {
	counts := map[string]int{}
	for _, f := range fs {
		counts[fmt.Sprintf("rule=%q,severity=%q", f.Rule, f.Severity)]++
	}
	fmt.Fprint(w, "# HELP kpnode_findings Current reconciliation findings, by rule and severity.\n# TYPE kpnode_findings gauge\n")
	for _, k := range sortedKeys(counts) {
		fmt.Fprintf(w, "kpnode_findings{%s} %d\n", k, counts[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
