package node

import (
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// The EU is one participant in KP statistics, trading through the Union
// authorities of its member states (DOMAIN.md), as in reconciliation
// (reconcile/eu.go). The KP statistics table treats it so at both levels:
//
//   - this node's own records: the node of a member-state authority
//     counts what it wrote as "EU" as its own, and the node of the EU what
//     the member-state authorities wrote (protocol.MayAuthor);
//   - partners: when "EU" is used as the partner of a flow and HS code
//     (a certificate addressed to "EU", a confirmation of an "EU"
//     certificate, a submitted row with partner "EU"), every EU code's
//     row of that flow and HS code is folded into one "EU" row, computed
//     and submitted figures alike, so that the same goods are compared
//     once, at the Union's level. Otherwise member states stay apart.

// ownRecord reports whether a record of feed that names author (issuer,
// reporter) is this node's own: both are this node's participant, or the
// EU and one of its member-state authorities.
func (n *Node) ownRecord(feed, author string) bool {
	self := n.cfg.Participant
	return protocol.MayAuthor(self, feed) && protocol.MayAuthor(self, author)
}

// euSide reports whether code is the EU or one of its member states.
func euSide(code string) bool { return code == "EU" || protocol.MayAuthor("EU", code) }

// unionNote is the note of a row folded at the Union's level.
const unionNote = "EU: the Union's authorities counted as one participant, as reported; rows folded: "

// foldUnion folds the member-state rows of each flow and HS code in which
// "EU" is a partner into that "EU" row.
func (t *kpTable) foldUnion() {
	for k, u := range t.cells {
		if k.partner != "EU" {
			continue
		}
		var folded []string
		for mk, m := range t.cells {
			if mk.flow != k.flow || mk.hs != k.hs || mk.partner == "EU" || !euSide(mk.partner) {
				continue
			}
			u.Carats += m.Carats
			u.ValueUSD += m.ValueUSD
			u.Certificates += m.Certificates
			u.Submitted = addSubmitted(u.Submitted, m.Submitted)
			folded = append(folded, mk.partner)
			delete(t.cells, mk)
		}
		if len(folded) > 0 {
			folded = append(folded, "EU")
			slices.Sort(folded)
			u.Note = unionNote + strings.Join(folded, ", ")
		}
	}
}

// addSubmitted returns the sum of two submitted rows of one cell (either
// may be nil); a sum of two records names neither.
func addSubmitted(a, b *KPSubmitted) *KPSubmitted {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &KPSubmitted{Carats: a.Carats + b.Carats, ValueUSD: a.ValueUSD + b.ValueUSD, Certificates: a.Certificates + b.Certificates}
}
