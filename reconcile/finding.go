package reconcile

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Severity ranks a finding: info, warning or critical.
type Severity string

// Severities, from least to most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// RecordRef names one record: the entry that carries it (the author's
// participant code, which names its feed, the entry's sequence number and,
// for a batch entry, the item's index) with the record's type and natural
// key, such as "certificate/IN/IN0001234" (empty for types without one).
//
// Item counts from 0, as the wire's supersedes.item does; Batch tells item 0
// of a batch from a lone record (both have Item 0). Whatever a person reads
// numbers items from 1: see ItemLabel.
type RecordRef struct {
	Feed  string `json:"feed"`
	Seq   uint64 `json:"seq"`
	Item  int    `json:"item,omitempty"`
	Batch bool   `json:"batch,omitempty"`
	Type  string `json:"type"`
	Key   string `json:"key,omitempty"`
}

// ItemLabel returns how a person reads r's place in its entry: "item 1"
// for the first item of a batch (items are numbered from 1 wherever a person
// reads them), "" for a lone record.
func (r RecordRef) ItemLabel() string {
	if !r.Batch {
		return ""
	}
	return "item " + strconv.Itoa(r.Item+1)
}

// Finding is the outcome of a cross-check that found something to look at.
type Finding struct {
	// ID is stable and deterministic: the rule and the natural keys of the
	// subject, such as "R1/IN/IN0001234" or "R9/IN/BE/2011-Q3/7102.31". It
	// uses only [A-Za-z0-9./-] so that an anomaly query can cite it.
	ID string `json:"id"`
	// Rule is "R1" … "R12"; RuleName its slug, "certificate-confirmation-match".
	Rule     string   `json:"rule"`
	RuleName string   `json:"rule_name"`
	Severity Severity `json:"severity"`
	// Partner is the other participant involved, seen from the State's own
	// participant; empty for the node's own statistics.
	Partner string `json:"partner,omitempty"`
	// Records are the records compared, in a fixed order.
	Records []RecordRef `json:"records"`
	// Numbers are the figures, as decimal strings: "certificate_carats":
	// "1520.50", "carats_diff_pct": "1.32".
	Numbers map[string]string `json:"numbers,omitempty"`
	// Explanation is one line for operators.
	Explanation string `json:"explanation"`
	// Since is when the condition began: the deadline that passed for
	// time-based findings (R2, missing statistics), otherwise the entry
	// time of the newest record involved; zero when unknown.
	Since time.Time `json:"since,omitzero"`
}

// clone returns a deep copy of f.
func (f Finding) clone() Finding {
	f.Records = slices.Clone(f.Records)
	f.Numbers = maps.Clone(f.Numbers)
	return f
}

// equal reports whether f and g are the same finding with the same content.
func (f *Finding) equal(g *Finding) bool {
	return f.ID == g.ID && f.Severity == g.Severity && f.Partner == g.Partner &&
		f.Explanation == g.Explanation && f.Since.Equal(g.Since) &&
		slices.Equal(f.Records, g.Records) && maps.Equal(f.Numbers, g.Numbers)
}

// Query selects findings; the zero Query selects all.
type Query struct {
	Rule     string    // "R9" or "mirror-statistics"; empty for every rule
	Partner  string    // participant code; empty for every partner
	Severity Severity  // this severity or a more urgent one; empty for all
	Since    time.Time // only findings whose Since is not before this; zero for all
}

// Match reports whether f is selected by q.
func (q Query) Match(f Finding) bool {
	switch {
	case q.Rule != "" && !strings.EqualFold(q.Rule, f.Rule) && q.Rule != f.RuleName:
		return false
	case q.Partner != "" && q.Partner != f.Partner:
		return false
	case q.Severity != "" && rank(f.Severity) < rank(q.Severity):
		return false
	case !q.Since.IsZero() && f.Since.Before(q.Since):
		return false
	}
	return true
}

// Select returns the findings of fs that q matches, in order.
func Select(fs []Finding, q Query) []Finding {
	var out []Finding
	for _, f := range fs {
		if q.Match(f) {
			out = append(out, f)
		}
	}
	return out
}

func rank(s Severity) int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 0
}
