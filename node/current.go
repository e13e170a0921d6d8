package node

import (
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Corrections and withdrawals (docs/records.md §11) decide which held
// records are current. Records of one type form lineages: a record whose
// "supersedes" names an earlier record of the same type in the same feed
// joins that record's lineage. The latest entry of a lineage decides: a
// withdrawal leaves it without a current record, a record is its current
// one. A record corrected twice thus counts as its later correction, and
// a correction of a correction replaces both. A record whose "supersedes"
// names no earlier record of its type in its feed is applied nowhere and
// counts nowhere. Every count, sum and export of the node uses only
// current records.

// recPos is the position of a record: its feed's key, seq and batch item.
type recPos struct {
	key  crypto.PublicKey
	seq  uint64
	item int
}

func posOf(h HeldRecord) recPos { return recPos{h.key, h.Seq, h.Item} }

// lineages resolves the corrections and withdrawals of records of one type.
type lineages struct {
	recs      []HeldRecord
	byPos     map[recPos]int // the records whose supersedes applies (or who have none)
	root      []int          // by record: its lineage's first record, -1 when it applies nowhere
	latest    map[int]int    // by root: the lineage's latest record
	withdrawn map[int]recPos // by root: the lineage's latest withdrawal
}

// resolveLineages resolves recs, records of one type sorted by feed, seq
// and item (as heldRecords returns them), and the withdrawals held.
func resolveLineages(recs, withdrawals []HeldRecord) *lineages {
	l := &lineages{recs: recs, byPos: make(map[recPos]int, len(recs)), root: make([]int, len(recs)),
		latest: map[int]int{}, withdrawn: map[int]recPos{}}
	for i, h := range recs {
		l.root[i] = l.rootOf(h, supersedesOf(h.Value), i)
		if l.root[i] >= 0 {
			l.byPos[posOf(h)] = i
			l.latest[l.root[i]] = i // sorted: the later record wins
		}
	}
	for _, w := range withdrawals {
		wd, ok := w.Value.(*protocol.Withdrawal)
		if !ok {
			continue
		}
		t, ok := l.target(w, &wd.Supersedes)
		if !ok {
			continue
		}
		r := l.root[t]
		if old, had := l.withdrawn[r]; !had || old.seq < w.Seq {
			l.withdrawn[r] = posOf(w)
		}
	}
	return l
}

// rootOf returns the root of record i's lineage, i itself for a record
// that supersedes nothing, -1 when its supersedes names no earlier record.
func (l *lineages) rootOf(h HeldRecord, sup *protocol.Supersedes, i int) int {
	if sup == nil {
		return i
	}
	t, ok := l.target(h, sup)
	if !ok {
		return -1
	}
	return l.root[t]
}

// target returns the record that by's supersedes names: an earlier record
// of by's feed resolved so far.
func (l *lineages) target(by HeldRecord, sup *protocol.Supersedes) (int, bool) {
	if sup.Seq >= by.Seq {
		return 0, false
	}
	t, ok := l.byPos[recPos{by.key, sup.Seq, sup.Item}]
	return t, ok
}

// current returns the current record of record i's lineage; false when
// the lineage was withdrawn last, or i applies nowhere.
func (l *lineages) current(i int) (int, bool) {
	r := l.root[i]
	if r < 0 {
		return 0, false
	}
	c := l.latest[r]
	if w, ok := l.withdrawn[r]; ok && w.seq > l.recs[c].Seq {
		return 0, false
	}
	return c, true
}

// isCurrent reports whether record i is the current record of its lineage.
func (l *lineages) isCurrent(i int) bool {
	c, ok := l.current(i)
	return ok && c == i
}

// withdrawal returns the withdrawal that ended record i's lineage.
func (l *lineages) withdrawal(i int) (recPos, bool) {
	if l.root[i] < 0 {
		return recPos{}, false
	}
	w, ok := l.withdrawn[l.root[i]]
	return w, ok
}

// currentRecords returns the current records of l, in feed order.
func (l *lineages) currentRecords() []HeldRecord {
	out := make([]HeldRecord, 0, len(l.recs))
	for i, h := range l.recs {
		if l.isCurrent(i) {
			out = append(out, h)
		}
	}
	return out
}

// currentRecords returns the current records of type typ this node holds
// (author nil: every feed's; else that feed's), in feed order.
func (n *Node) currentRecords(typ string, author *crypto.PublicKey) ([]HeldRecord, error) {
	l, err := n.lineagesOf(typ, author)
	if err != nil {
		return nil, err
	}
	return l.currentRecords(), nil
}

// lineagesOf resolves the held records of type typ (author nil: every
// feed's; else that feed's).
func (n *Node) lineagesOf(typ string, author *crypto.PublicKey) (*lineages, error) {
	recs, err := n.heldRecordsOf(typ, author)
	if err != nil {
		return nil, err
	}
	ws, err := n.heldRecordsOf(protocol.WithdrawalType, author)
	if err != nil {
		return nil, err
	}
	return resolveLineages(recs, ws), nil
}

// supersedesOf returns the record that a record value corrects, or nil.
func supersedesOf(v any) *protocol.Supersedes {
	switch r := v.(type) {
	case *protocol.Certificate:
		return r.Supersedes
	case *protocol.PreNotification:
		return r.Supersedes
	case *protocol.ImportConfirmation:
		return r.Supersedes
	case *protocol.TradeStatistics:
		return r.Supersedes
	case *protocol.ProductionStatistics:
		return r.Supersedes
	case *protocol.Notice:
		return r.Supersedes
	case *protocol.AnomalyQuery:
		return r.Supersedes
	case *protocol.AnomalyAnswer:
		return r.Supersedes
	case *protocol.Acknowledgement:
		return r.Supersedes
	}
	return nil
}
