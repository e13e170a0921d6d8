package node

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
)

// FindingGroup counts the findings of one group: a rule, a partner, a
// period or a severity.
type FindingGroup struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
	Open  int    `json:"open"` // of Count, those not acknowledged at their current severity
}

// FindingsSummary counts the findings a query selects, in all and by
// severity, rule, partner and period; each list is sorted by key (rules
// by number, periods newest first). An empty partner key counts the
// findings about the node's own statistics.
type FindingsSummary struct {
	Total      int            `json:"total"`
	Open       int            `json:"open"`
	BySeverity []FindingGroup `json:"by_severity"`
	ByRule     []FindingGroup `json:"by_rule"`
	ByPartner  []FindingGroup `json:"by_partner"`
	ByPeriod   []FindingGroup `json:"by_period"`
}

// summaryCache keeps the last summary with what it depends on.
type summaryCache struct {
	gen, acks uint64
	q         FindingsQuery
	s         FindingsSummary
}

// FindingsSummary counts the current findings q selects (q's Cursor and
// Limit are ignored). It reads every finding once, and keeps the answer
// until a finding or an acknowledgement changes.
func (n *Node) FindingsSummary(q FindingsQuery) FindingsSummary {
	q.Cursor, q.Limit = "", 0
	if s, ok := n.cachedSummary(q); ok {
		return s
	}
	c := newGroupCounter()
	gen, acks := n.eachFinding(q, "", false, func(x *reconcile.Finding, period string, ack *FindingAck) bool {
		c.add(x, period, ack == nil)
		return true
	})
	s := c.summary()
	n.findings.mu.Lock()
	if gen == n.findings.st.Generation() && acks == n.findings.ackGen {
		n.findings.summary = &summaryCache{gen: gen, acks: acks, q: q, s: s}
	}
	n.findings.mu.Unlock()
	return s
}

// cachedSummary returns the kept summary of q if nothing changed since.
func (n *Node) cachedSummary(q FindingsQuery) (FindingsSummary, bool) {
	n.waitFindings()
	f := n.findings
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.Advance(n.now())
	c := f.summary
	if c == nil || c.q != q || c.gen != f.st.Generation() || c.acks != f.ackGen {
		return FindingsSummary{}, false
	}
	return c.s, true
}

// groupCounter adds findings up by group.
type groupCounter struct {
	total                           FindingGroup
	severity, rule, partner, period map[string]*FindingGroup
}

func newGroupCounter() *groupCounter {
	return &groupCounter{severity: map[string]*FindingGroup{}, rule: map[string]*FindingGroup{},
		partner: map[string]*FindingGroup{}, period: map[string]*FindingGroup{}}
}

func (c *groupCounter) add(x *reconcile.Finding, period string, open bool) {
	c.total.add(open)
	count(c.severity, string(x.Severity), open)
	count(c.rule, x.Rule, open)
	count(c.partner, x.Partner, open)
	count(c.period, period, open)
}

// count adds one finding to the group k of m.
func count(m map[string]*FindingGroup, k string, open bool) {
	g := m[k]
	if g == nil {
		g = &FindingGroup{Key: k}
		m[k] = g
	}
	g.add(open)
}

func (g *FindingGroup) add(open bool) {
	g.Count++
	if open {
		g.Open++
	}
}

func (c *groupCounter) summary() FindingsSummary {
	return FindingsSummary{Total: c.total.Count, Open: c.total.Open,
		BySeverity: groups(c.severity, bySeverity), ByRule: groups(c.rule, byRuleNumber),
		ByPartner: groups(c.partner, strings.Compare), ByPeriod: groups(c.period, func(a, b string) int { return strings.Compare(b, a) })}
}

// groups returns the groups of m sorted by key with cmp.
func groups(m map[string]*FindingGroup, by func(a, b string) int) []FindingGroup {
	out := make([]FindingGroup, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b FindingGroup) int { return by(a.Key, b.Key) })
	return out
}

// byRuleNumber orders "R2" before "R10".
func byRuleNumber(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// bySeverity orders critical first.
func bySeverity(a, b string) int {
	rank := map[string]int{"critical": 0, "warning": 1, "info": 2}
	return cmp.Or(cmp.Compare(rank[a], rank[b]), strings.Compare(a, b))
}
