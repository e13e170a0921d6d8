package api

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpnode/kpnode/node"
)

// The families statusCollector makes. Their names, help, types and labels
// are those the hand-written exposition had (testdata/metrics.golden).
var (
	entriesDesc  = prometheus.NewDesc("kpnode_entries_total", "Entries published and received by this node.", []string{"event"}, nil)
	rejectedDesc = prometheus.NewDesc("kpnode_entries_rejected_total", "Entries refused, by reason.", []string{"reason"}, nil)
	eventsDesc   = prometheus.NewDesc("kpnode_events_total", "Other counted events (sync failures, held pushes, invalid records).", []string{"event"}, nil)
	findingsDesc = prometheus.NewDesc("kpnode_findings", "Current reconciliation findings, by rule and severity.", []string{"rule", "severity"}, nil)
	storeDesc    = prometheus.NewDesc("kpnode_store_bytes", "Bytes the store occupies on disk.", nil, nil)
	partnersDesc = prometheus.NewDesc("kpnode_partners", "Pinned partners.", nil, nil)
	connDesc     = prometheus.NewDesc("kpnode_partners_connected", "Pinned partners connected now.", nil, nil)
)

// partnerSeries are the families with one series per partner.
var partnerSeries = []struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(node.PartnerStatus) float64
}{
	{partnerDesc("kpnode_partner_undelivered", "Own entries a partner has not receipted yet."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return float64(p.Undelivered) }},
	{partnerDesc("kpnode_partner_lag", "Entries of a partner's own feed this node does not hold yet."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return float64(p.Behind()) }},
	{partnerDesc("kpnode_partner_score", "Gossipsub peer score of a partner (negative: penalised; graylisted under -1000)."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return p.PeerScore.Score }},
	{partnerDesc("kpnode_partner_invalid_messages", "Invalid pushed entries held against a partner (decaying)."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return p.PeerScore.InvalidMessages }},
	{partnerDesc("kpnode_partner_sync_abuse", "Sync abuse points held against a partner (decaying)."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return p.PeerScore.SyncAbuse }},
	{partnerDesc("kpnode_partner_cooling_off", "1 while a graylisted partner is disconnected and refused."), prometheus.GaugeValue,
		func(p node.PartnerStatus) float64 { return map[bool]float64{true: 1}[!p.CoolOffUntil.IsZero()] }},
	{partnerDesc("kpnode_partner_graylisted_total", "Times a partner fell under the graylist threshold."), prometheus.CounterValue,
		func(p node.PartnerStatus) float64 { return float64(p.Graylisted) }},
}

func partnerDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"partner"}, nil)
}

// statusCollector reads the node's status, its findings counted by rule
// and severity, and its store's size at each scrape: it keeps nothing,
// and reads no finding (the node keeps the counts, [node.Node.FindingCounts]).
type statusCollector struct{ b Backend }

// Describe implements prometheus.Collector.
func (c statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{entriesDesc, rejectedDesc, eventsDesc, findingsDesc, storeDesc, partnersDesc, connDesc} {
		ch <- d
	}
	for _, s := range partnerSeries {
		ch <- s.desc
	}
}

// Collect implements prometheus.Collector. An error reading the status
// fails the scrape (promhttp answers 500 naming it).
func (c statusCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.b.Status()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(partnersDesc, fmt.Errorf("read node status: %w", err))
		return
	}
	collectCounters(ch, s.Counters)
	collectPartners(ch, s.Partners)
	for _, f := range c.b.FindingCounts() {
		ch <- constMetric(findingsDesc, prometheus.GaugeValue, float64(f.Count), f.Rule, string(f.Severity))
	}
	if size, err := c.b.StoreSize(); err == nil {
		ch <- constMetric(storeDesc, prometheus.GaugeValue, float64(size))
	}
}

// collectCounters sorts the node's counters into entries, rejections by
// reason and other events.
func collectCounters(ch chan<- prometheus.Metric, counters map[string]uint64) {
	ch <- constMetric(entriesDesc, prometheus.CounterValue, float64(counters["entries_published"]), "published")
	ch <- constMetric(entriesDesc, prometheus.CounterValue, float64(counters["entries_received"]), "received")
	for k, v := range counters {
		if reason, ok := strings.CutPrefix(k, "rejected_"); ok {
			ch <- constMetric(rejectedDesc, prometheus.CounterValue, float64(v), reason)
		} else if !strings.HasPrefix(k, "entries_") {
			ch <- constMetric(eventsDesc, prometheus.CounterValue, float64(v), k)
		}
	}
}

func collectPartners(ch chan<- prometheus.Metric, ps []node.PartnerStatus) {
	connected := 0
	for _, p := range ps {
		if p.Connected {
			connected++
		}
		for _, s := range partnerSeries {
			ch <- constMetric(s.desc, s.kind, s.value(p), p.Code)
		}
	}
	ch <- constMetric(partnersDesc, prometheus.GaugeValue, float64(len(ps)))
	ch <- constMetric(connDesc, prometheus.GaugeValue, float64(connected))
}

// constMetric is prometheus.MustNewConstMetric with label values made
// valid UTF-8 (invalid bytes as U+FFFD), the one thing the exposition
// format cannot carry and NewConstMetric refuses; the encoder escapes
// the rest (backslash, quote, newline) as the format says.
func constMetric(d *prometheus.Desc, kind prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	for i, l := range labels {
		labels[i] = strings.ToValidUTF8(l, "\uFFFD")
	}
	return prometheus.MustNewConstMetric(d, kind, v, labels...)
}
