package node

import (
	"maps"
	"slices"

	"github.com/kpnode/kpnode/reconcile"
)

// calendarParties returns the partners' codes: the submission calendar
// tracks them besides the node itself and the reporters of what it holds.
func (n *Node) calendarParties() []string {
	return slices.Sorted(maps.Keys(n.roster.Snapshot().PeersByCode()))
}

// Calendar returns the submission calendar now: for the node and each
// partner, which trade statistics, production statistics and annual
// reports were received (on time or late), are missing, or not yet due
// (docs/reconcile.md, Submission calendar).
func (n *Node) Calendar() reconcile.Calendar {
	n.waitFindings()
	parties := n.calendarParties()
	f := n.findings
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.SetParties(parties)
	return f.st.Calendar(n.now())
}
